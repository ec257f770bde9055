#!/usr/bin/env bash
# `npm run bench`: builds what the benchmarks run (WASM kernel, native kernel) and runs them.
#
# RIVULET_BENCH picks the parts: kernel (WASM vs TS reference vs native Rust),
# broker (the IoT topology on a real Kafka broker vs a bare kafkajs consumer,
# bench/broker.bench.ts; starts and stops a broker unless KAFKA_BROKERS is set),
# peers (rivulet next to Kafka Streams, @kafkats/flow, nodefluent kafka-streams and
# bare kafkajs / Java consumers, in-process and on a broker, bench/peers.bench.ts;
# its own broker too), suppress (count() with and without suppress(untilWindowCloses()) on
# hopping 60 s / 1 s windows, in process, bench/suppress.bench.ts; about a minute), scale (the
# IoT topology with 1,000,000 device keys and 10,000,000 readings on its own broker: commit cost
# by state size, memory per key, restore rate, failover, bench/scale.bench.ts; RIVULET_SCALE_KEYS
# and RIVULET_SCALE_READINGS make it smaller), or all (default: every part but scale).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
parts=${RIVULET_BENCH:-all}
case "$parts" in
  kernel | broker | peers | suppress | scale | all) ;;
  *) echo "bench.sh: RIVULET_BENCH must be kernel, broker, peers, suppress, scale or all (got '$parts')" >&2; exit 2 ;;
esac
if [[ "$parts" == suppress ]]; then
  # The TypeScript window aggregate only: no Rust toolchain, no WASM kernel to build.
  [ -d node_modules ] || npm ci --no-audit --no-fund
else
  bash scripts/setup-toolchain.sh
  bash scripts/build-wasm.sh
fi
if [[ "$parts" == kernel || "$parts" == all ]]; then
  cargo build --release --quiet --bin native-bench
  npx vite-node bench/kernel.bench.ts
fi
if [[ "$parts" == broker || "$parts" == all ]]; then
  bash scripts/kafka/with-kafka.sh npx vite-node bench/broker.bench.ts
fi
if [[ "$parts" == peers || "$parts" == all ]]; then
  bash scripts/kafka/with-kafka.sh npx vite-node bench/peers.bench.ts
fi
if [[ "$parts" == suppress || "$parts" == all ]]; then
  npx vite-node bench/suppress.bench.ts
fi
if [[ "$parts" == scale ]]; then
  bash scripts/kafka/with-kafka.sh npx vite-node bench/scale.bench.ts
fi
npx vite-node bench/draw-charts.ts
