// The README's recipe "A daemon's control signals", exactly as shown there (test/readme.test.ts checks both are
// the same, compiles this under strict and runs it, comparing what it prints with the comments).
import { spawn } from 'node:child_process';
import { watchSignals } from 'memprobe';

// SIGHUP reloads, SIGRTMIN+2 carries a command in its sigqueue value, SIGTERM stops. ref(): wait for them.
const control = watchSignals(['SIGHUP', 'SIGRTMIN+2', 'SIGTERM']).ref();

// Another process sends them one at a time, as a supervisor would (or `kill -s RTMIN+2 -q 7 <pid>`).
const controller = spawn(process.execPath, ['-e', `
  const { sendSignal } = require('memprobe');
  const steps = [['SIGHUP'], ['SIGRTMIN+2', { value: 7 }], ['SIGTERM']];  // with a value: sigqueue, else kill
  process.on('message', () => sendSignal(process.ppid, ...steps.shift()));
`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

async function serve(): Promise<void> {
  controller.send('ready');
  for await (const info of control) {
    const sender = info.pid === controller.pid ? 'the controller' : `pid ${info.pid}`;
    if (info.signal === 'SIGHUP') {
      console.log(`reload, asked by ${sender} (${info.code}, uid ${info.uid})`);   // reload, asked by the controller (SI_USER, uid …)
    } else if (info.signal === 'SIGRTMIN+2') {
      console.log(`command ${info.value} from ${sender} (${info.code})`);         // command 7 from the controller (SI_QUEUE)
    } else {
      console.log(`${info.signal} from ${sender}: stopping`);                    // SIGTERM from the controller: stopping
      break;  // leaving the loop closes the watcher: SIGTERM has its old disposition again
    }
    controller.send('next');
  }
  controller.disconnect();
}

void serve();
