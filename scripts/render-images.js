#!/usr/bin/env node
// The README's pictures of an address space, drawn by the command line as a user would draw them (needs the
// TypeScript built: npm run build:ts): a fresh Node process (`memprobe scan --self --svg`), and the same after a
// short seeded fuzz run (`memprobe fuzz --svg`). Each run is a new process with a new layout, so the pictures
// differ from run to run in their addresses, never in what they show. Each file must stay under 200 KB.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const images = path.join(root, 'docs', 'images');
const LIMIT = 200 * 1024;

if (!fs.existsSync(cli)) {
  console.error('render-images: dist/cli.js is missing: run `npm run build:ts` first');
  process.exit(1);
}
fs.mkdirSync(images, { recursive: true });
const runs = [
  ['address-space-node.svg', ['scan', '--self', '--quiet']],
  ['address-space-fuzz.svg', ['fuzz', '--iterations', '5000', '--seed', '1', '--quiet']],
];
let failed = false;
for (const [name, args] of runs) {
  const file = path.join(images, name);
  execFileSync(process.execPath, [cli, ...args, '--svg', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const { size } = fs.statSync(file);
  console.log(`${path.relative(root, file)}: ${(size / 1024).toFixed(1)} KiB (memprobe ${args.join(' ')})`);
  if (size >= LIMIT) {
    console.error(`render-images: ${name} is ${size} bytes, over the ${LIMIT}-byte limit`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
