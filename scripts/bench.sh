#!/usr/bin/env bash
# `npm run bench`: builds what the benchmarks run (WASM kernel, native kernel) and runs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup-toolchain.sh
bash scripts/build-wasm.sh
cargo build --release --quiet --bin native-bench
npx vite-node bench/kernel.bench.ts
