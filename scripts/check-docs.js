#!/usr/bin/env node
// npm run docs:check (CI): fails when TypeDoc warns (an undocumented export, a broken {@link}: typedoc.json treats
// warnings as errors) or when the checked-in docs/api.md differs from what the sources generate now.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const checkedIn = path.join(repo, 'docs', 'api.md');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-docs-'));
try {
  const typedoc = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: repo, stdio: 'inherit' });
  if (typedoc.status !== 0) {
    console.error('docs:check: TypeDoc failed (above): every export needs its TSDoc comment, and every {@link} a target.');
    process.exit(1);
  }
  const generated = fs.readFileSync(path.join(out, 'api.md'), 'utf8');
  const current = fs.existsSync(checkedIn) ? fs.readFileSync(checkedIn, 'utf8') : null;
  if (current !== generated) {
    if (current !== null) spawnSync('diff', ['-u', checkedIn, path.join(out, 'api.md')], { stdio: 'inherit' });
    console.error(`docs:check: docs/api.md ${current === null ? 'is missing' : 'differs from what the sources generate (above)'}: run \`npm run docs\` and commit docs/api.md.`);
    process.exit(1);
  }
  console.log('docs:check: docs/api.md is current');
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
