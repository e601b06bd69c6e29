// The README's waitForSignal example (README, "Signals"), exactly as shown there (test/readme.test.ts checks both
// are the same, compiles this under strict and runs it, comparing what it prints with the comments).
import { sendSignal, waitForSignal } from 'memprobe';

async function main(): Promise<void> {
  // Nothing comes: null after the timeout.
  console.log(await waitForSignal(['SIGUSR2'], { timeout: 20 }));    // null

  // While it waits, the process stays alive; the signal comes with its siginfo.
  setTimeout(() => sendSignal(process.pid, 'SIGRTMIN+1', { value: 42 }), 10);
  const info = await waitForSignal(['SIGRTMIN+1']);
  console.log(info?.signal, info?.code, info?.value);               // SIGRTMIN+1 SI_QUEUE 42

  // Waiting again straight away loses nothing, however many arrive at once.
  for (let value = 0; value < 3; value++) sendSignal(process.pid, 'SIGRTMIN+1', { value });
  const values: Array<number | null | undefined> = [];
  for (let i = 0; i < 3; i++) values.push((await waitForSignal(['SIGRTMIN+1']))?.value);
  console.log(values);                                              // [ 0, 1, 2 ]

  // An AbortSignal rejects the wait as Node's own timers/promises do, and releases the signal.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 10);
  await waitForSignal(['SIGUSR2'], { signal: controller.signal }).catch((error: Error) => console.log(error.name));  // AbortError
}

void main();
