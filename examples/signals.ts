// The README's signals example, exactly as shown there (test/readme.test.ts checks both are the same, compiles
// this under strict and runs it, comparing what it prints with the comments).
import { sendSignal, watchSignals } from 'memprobe';

// A listener gets each signal with its siginfo.
const watcher = watchSignals(['SIGTERM', 'SIGRTMIN+1'], (info) => {
  console.log(`${info.signal} from pid ${info.pid} (${info.code}), value ${info.value}`);  // SIGRTMIN+1 from pid … (SI_QUEUE), value 7
  watcher.close();  // the last watcher of a signal puts back what was there before
  void iterate();
});
watcher.ref();  // watchers are unref'd by default: alone they do not keep the process alive
sendSignal(process.pid, 'SIGRTMIN+1', { value: 7 });  // sigqueue; without a value: kill

// Or iterate: while the loop waits, the watcher keeps the process alive (no ref() needed).
async function iterate(): Promise<void> {
  const signals = watchSignals(['SIGUSR2']);
  sendSignal(process.pid, 'SIGUSR2');
  for await (const info of signals) {
    console.log(`${info.signal} ${info.code}`);  // SIGUSR2 SI_USER
    break;  // leaving the loop closes the watcher
  }
}
