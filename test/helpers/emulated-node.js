// Preloaded (NODE_OPTIONS=--require) into every Node that scripts/test-arm64.js starts under qemu-user, so that
// the scripts tests run in children can start Node themselves: without binfmt_misc the kernel cannot run the
// emulated Node binary (process.execPath) on its own, so spawn, spawnSync, execFile and execFileSync of
// process.execPath go through MEMPROBE_TEST_EMULATOR instead, as binfmt_misc would send them. Nothing else changes.
'use strict';
const childProcess = require('node:child_process');

const emulator = (process.env.MEMPROBE_TEST_EMULATOR || '').split(' ').filter((word) => word !== '');
if (emulator.length > 0) {
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
    const original = childProcess[name];
    childProcess[name] = function runThroughEmulator(file, args, ...rest) {
      if (file !== process.execPath) return original.call(this, file, args, ...rest);
      if (!Array.isArray(args)) return original.call(this, emulator[0], [...emulator.slice(1), file], ...(args === undefined ? rest : [args, ...rest]));
      return original.call(this, emulator[0], [...emulator.slice(1), file, ...args], ...rest);
    };
  }
}
