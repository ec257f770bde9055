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
#
# The default run is sized to finish within 15 minutes on a 2-core machine (kernel at scale
# 0.02, 100 000 broker readings, one run per peer system (no Kafka Streams variants), memory alone of the peers' test-driver
# workloads at 100 000 keys, shorter caps; bench/bench-plan.ts). RIVULET_BENCH_FULL=1 runs the
# full sizes (kernel at scale 1, 2 000 000 readings, every test-driver workload, 1 000 000 keys,
# three runs per peer system, 60 s caps; well over an hour).
# Each step prints a line when it starts and every 30 s while it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
parts=${RIVULET_BENCH:-all}
case "$parts" in
  kernel | broker | peers | suppress | scale | all) ;;
  *) echo "bench.sh: RIVULET_BENCH must be kernel, broker, peers, suppress, scale or all (got '$parts')" >&2; exit 2 ;;
esac
full_flag=${RIVULET_BENCH_FULL:-0}
case "${full_flag,,}" in
  1 | true) size="full sizes (RIVULET_BENCH_FULL=1)" ;;
  0 | false | "") size="default sizes (RIVULET_BENCH_FULL=1 for the full ones)" ;;
  *) echo "bench.sh: RIVULET_BENCH_FULL must be 1 (full sizes) or 0 (default run) (got '$RIVULET_BENCH_FULL')" >&2; exit 2 ;;
esac
bench_started=$SECONDS
part_started=$SECONDS
# One line per step so a user sees where the run is; the parts print their own progress.
step() { echo "bench: $1 ..."; part_started=$SECONDS; }
done_step() { echo "bench: $1 done in $((SECONDS - part_started)) s ($((SECONDS - bench_started)) s so far)"; }
echo "bench: parts '$parts' at $size"
if [[ "$parts" == suppress ]]; then
  # The TypeScript window aggregate only: no Rust toolchain, no WASM kernel to build.
  [ -d node_modules ] || npm ci --no-audit --no-fund
else
  step "toolchain check and WASM kernel build (minutes when wasm-core changed, seconds otherwise)"
  bash scripts/setup-toolchain.sh
  bash scripts/build-wasm.sh
  done_step "builds"
fi
if [[ "$parts" == kernel || "$parts" == all ]]; then
  step "kernel part: building the native kernel (cargo build --release)"
  cargo build --release --quiet --bin native-bench
  npx vite-node bench/kernel.bench.ts
  done_step "kernel part"
fi
if [[ "$parts" == broker || "$parts" == all ]]; then
  step "broker part (starts a Kafka broker)"
  bash scripts/kafka/with-kafka.sh npx vite-node bench/broker.bench.ts
  done_step "broker part"
fi
if [[ "$parts" == peers || "$parts" == all ]]; then
  step "peers part (starts a Kafka broker)"
  bash scripts/kafka/with-kafka.sh npx vite-node bench/peers.bench.ts
  done_step "peers part"
fi
if [[ "$parts" == suppress || "$parts" == all ]]; then
  step "suppress part"
  npx vite-node bench/suppress.bench.ts
  done_step "suppress part"
fi
if [[ "$parts" == scale ]]; then
  step "scale part (starts a Kafka broker)"
  bash scripts/kafka/with-kafka.sh npx vite-node bench/scale.bench.ts
  done_step "scale part"
fi
npx vite-node bench/draw-charts.ts
echo "bench: finished in $((SECONDS - bench_started)) s"
