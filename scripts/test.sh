#!/usr/bin/env bash
# `npm test`: the one command CI runs. Installs the toolchain if missing, builds the
# WASM kernel from source, type-checks, then runs the Rust and TypeScript suites.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }

step "toolchain";   bash scripts/setup-toolchain.sh
step "build wasm";  bash scripts/build-wasm.sh
step "typecheck";   npx tsc -p tsconfig.json --noEmit
step "rust tests";  cargo test --release -p rivulet-wasm-core
step "vitest";      npx vitest run
# Integration tests need a real broker: start Apache Kafka (KRaft, 127.0.0.1) from Maven Central jars,
# run test/integration against it, and stop it whatever happens.
step "integration (Apache Kafka)"; bash scripts/kafka/with-kafka.sh npx vitest run test/integration
