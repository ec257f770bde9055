#!/usr/bin/env bash
# Makes sure the toolchain is installed and the WASM kernel is built (used by demo and bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-toolchain.sh >/dev/null
pkg=wasm-core/pkg/rivulet_wasm_core_bg.wasm
if [ ! -f "$pkg" ] || [ -n "$(find wasm-core/src wasm-core/Cargo.toml Cargo.lock -newer "$pkg" -print -quit)" ]; then
  bash scripts/build-wasm.sh >/dev/null 2>&1 || bash scripts/build-wasm.sh
fi
