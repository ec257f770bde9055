#!/usr/bin/env bash
# `npm test`: the one command CI runs. Installs the toolchain if missing, builds the
# WASM kernel from source, type-checks, runs the Rust and TypeScript suites, then packs
# rivulet and runs it as an installed package in a scratch app.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }

step "toolchain";   bash scripts/setup-toolchain.sh
step "build wasm";  bash scripts/build-wasm.sh
step "typecheck";   npx tsc -p tsconfig.json --noEmit
step "rust tests";  cargo test --release -p rivulet-wasm-core
step "vitest";      npx vitest run --exclude 'test/consumer/**'
# npm pack (prepack builds the kernel and dist/), install the tarball into a scratch app outside
# the repository, run the README quick start there and type-check a strict TypeScript consumer.
step "package (npm pack, installed in a scratch app)"; npx vitest run test/consumer
# Integration tests need a real broker: start Apache Kafka (KRaft, 127.0.0.1) from Maven Central jars,
# run test/integration against it, and stop it whatever happens. With its SASL_SSL and SSL listeners
# (certificates made once per machine), so kafka-security.test.ts needs no broker of its own.
# The suite runs on the current release and on the last 3.x (ZooKeeper-free 3.9, the oldest line
# users still deploy): protocol versions, transaction and group behaviour differ between them.
# The 3-node leader-kill scenarios (test/integration/kafka-leader-kill.test.ts) are opt-in
# (RIVULET_CLUSTER_TESTS=1): minutes each, and exactly-once ran past its timeout once on a loaded machine.
for kafka_version in 4.2.0 3.9.2; do
  step "integration (Apache Kafka $kafka_version)"
  KAFKA_VERSION=$kafka_version KAFKA_SECURITY=sasl_ssl bash scripts/kafka/with-kafka.sh npx vitest run test/integration
done
