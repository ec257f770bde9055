#!/usr/bin/env bash
# Builds what the npm package ships: the WASM kernel from source (scripts/build-wasm.sh) and src/
# compiled to dist/ with its typings (tsconfig.build.json). `npm run build` runs it, and so does
# `prepack`, so `npm pack` / `npm publish` never ship a stale kernel, a kernel-less package or an
# old dist/. Any failure stops the pack. Needs the toolchain `npm run setup` installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
fail() { echo "build-package: $*" >&2; exit 1; }

command -v wasm-pack >/dev/null 2>&1 \
  || fail "wasm-pack must be installed to build the WASM kernel (got none on PATH); run \`npm run setup\` first"
bash scripts/build-wasm.sh \
  || fail "the WASM kernel must build from wasm-core/ (got the errors above); the package is not built without it"
for f in rivulet_wasm_core.js rivulet_wasm_core_bg.wasm package.json; do
  [ -s "wasm-core/pkg/$f" ] || fail "wasm-core/pkg/$f must exist after the kernel build (got none)"
done

# A clean dist/: files of renamed or deleted modules (or of an older layout) must not ship.
rm -rf dist
npx tsc -p tsconfig.build.json
[ -s dist/index.js ] && [ -s dist/index.d.ts ] || fail "dist/index.js and dist/index.d.ts must exist after tsc (got none)"
