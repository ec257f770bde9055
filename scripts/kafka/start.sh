#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, broker+controller combined) on
# 127.0.0.1 with free ports, from Maven Central jars and the machine's Java.
#
#   bash scripts/kafka/start.sh          # prints KAFKA_BROKERS=127.0.0.1:<port>
#
# Env: KAFKA_VERSION (default in common.sh), KAFKA_RUN_DIR (where the state file
# broker.env, the data dir and the log go; default target/kafka/run),
# KAFKA_START_TIMEOUT_MS (default 60000), KAFKA_HEAP (default -Xms256m -Xmx512m).
# Idempotent: if the broker recorded in the state file is alive and answers, it is reused.
# A broker stopped with `stop.sh --keep-data` starts again on the same ports and data
# dir (its topics, offsets and transactions intact), as a restarted production broker would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$root"
started_at=$(date +%s%N)
timeout_ms=${KAFKA_START_TIMEOUT_MS:-60000}

wanted_version=$KAFKA_VERSION
resume=
if [[ -f "$kafka_state" ]]; then
  # shellcheck disable=SC1090
  . "$kafka_state"
  if [[ -n "${KAFKA_PID:-}" ]] && kill -0 "$KAFKA_PID" 2>/dev/null && node "$here/wait-ready.mjs" "$KAFKA_BROKERS" 3000 "$KAFKA_PID"; then
    echo "start.sh: reusing Kafka $KAFKA_VERSION (pid $KAFKA_PID) at $KAFKA_BROKERS"
    echo "KAFKA_BROKERS=$KAFKA_BROKERS"
    exit 0
  fi
  if [[ "${KAFKA_STOPPED:-}" == 1 && -n "${KAFKA_DATA_DIR:-}" && -f "$KAFKA_DATA_DIR/server.properties" ]]; then
    resume=1
  else
    echo "start.sh: stale state file, cleaning up"
    bash "$here/stop.sh" >/dev/null 2>&1 || true
    KAFKA_VERSION=$wanted_version
  fi
fi

if [[ -n "$resume" ]]; then
  # The data was written by the recorded version, which may differ from the default.
  kafka_libs="$root/target/kafka/$KAFKA_VERSION/libs"
  data=$KAFKA_DATA_DIR
  port=${KAFKA_BROKERS##*:}
  echo "start.sh: restarting Kafka $KAFKA_VERSION on 127.0.0.1:$port with data dir $data"
else
  bash "$here/fetch.sh"
  mkdir -p "$kafka_run"
  data=$(mktemp -d "$kafka_run/data.XXXXXX")
  port=$(node "$here/free-port.mjs")
  controller_port=$(node "$here/free-port.mjs")
  while [[ "$controller_port" == "$port" ]]; do controller_port=$(node "$here/free-port.mjs"); done

  cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=1
num.network.threads=2
num.io.threads=4
auto.create.topics.enable=false
delete.topic.enable=true
# one broker: every internal topic with replication factor 1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# tests: no join delay, quick cleaner and retention checks, quick transaction expiry
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.cleaner.backoff.ms=500
log.cleaner.threads=1
log.retention.check.interval.ms=1000
# no time-based retention by default: tests write records with fixed, old create
# times, which a 7-day retention would delete within a second (topics may set retention.ms)
log.retention.ms=-1
log.segment.bytes=1048576
transaction.max.timeout.ms=900000
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
transaction.remove.expired.transaction.cleanup.interval.ms=60000
PROPS
fi
cp="$kafka_libs/*"
jvm_opts=(${KAFKA_HEAP:--Xms256m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true
  # slf4j-simple (see fetch.sh): warnings, plus the broker's own start/stop lines
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS
  "-Dkafka.logs.dir=$data")
log="$data/server.log"

if [[ -z "$resume" ]]; then
  # A random cluster id (Kafka's Uuid: 16 random bytes, base64url without padding),
  # never starting with '-' (the tool would read it as an option; Kafka's own Uuid avoids it too).
  cluster_id=$(node -e "const c=require('node:crypto');let id;do{id=c.randomBytes(16).toString('base64url')}while(id.startsWith('-'));process.stdout.write(id)")
  if ! java "${jvm_opts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" >"$data/format.log" 2>&1; then
    echo "start.sh: formatting storage failed:" >&2
    cat "$data/format.log" >&2
    rm -rf "$data"
    exit 1
  fi
fi

# setsid: the broker gets its own session, so a Ctrl-C meant for the caller's
# process group does not kill it half-way; stop.sh ends it by pid.
# Appends: a restarted broker keeps the log of its earlier run.
setsid java "${jvm_opts[@]}" -cp "$cp" kafka.Kafka "$data/server.properties" >>"$log" 2>&1 </dev/null &
pid=$!
cat >"$kafka_state" <<STATE
KAFKA_BROKERS=127.0.0.1:$port
KAFKA_PID=$pid
KAFKA_DATA_DIR=$data
KAFKA_VERSION=$KAFKA_VERSION
STATE

if ! node "$here/wait-ready.mjs" "127.0.0.1:$port" "$timeout_ms" "$pid"; then
  echo "start.sh: Kafka did not become ready; last log lines:" >&2
  tail -n 40 "$log" >&2 || true
  # A resumed broker's data is kept for another try (or a look at what went wrong).
  bash "$here/stop.sh" ${resume:+--keep-data} >/dev/null 2>&1 || true
  exit 1
fi
elapsed_ms=$(( ($(date +%s%N) - started_at) / 1000000 ))
echo "start.sh: Kafka $KAFKA_VERSION ready at 127.0.0.1:$port (pid $pid) in ${elapsed_ms} ms; log $log"
echo "KAFKA_BROKERS=127.0.0.1:$port"
