#!/usr/bin/env bash
# A 3-node Apache Kafka cluster (KRaft, every node broker+controller) on 127.0.0.1,
# from the same Maven Central jars as start.sh: replication factor 3 and
# min.insync.replicas 2 for every topic, the group and transaction logs included,
# so one node may die without losing an acknowledged write or stopping a producer.
#
#   bash scripts/kafka/cluster.sh start             # prints KAFKA_CLUSTER_BROKERS=h:p,h:p,h:p
#   bash scripts/kafka/cluster.sh stop-node N [--kill]   # N in 1..3; --kill: SIGKILL (a crash)
#   bash scripts/kafka/cluster.sh start-node N      # the stopped node again, same ports and data
#   bash scripts/kafka/cluster.sh stop              # every node; deletes the data
#
# State (ports, pids, data dirs) lives in $KAFKA_RUN_DIR/cluster.env (KAFKA_RUN_DIR
# defaults to target/kafka/cluster). Env: KAFKA_VERSION, KAFKA_START_TIMEOUT_MS
# (default 90000), KAFKA_HEAP (default -Xms256m -Xmx512m per node).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KAFKA_RUN_DIR=${KAFKA_RUN_DIR:-$(cd "$here/../.." && pwd)/target/kafka/cluster}
. "$here/common.sh"
cd "$root"
state="$kafka_run/cluster.env"
timeout_ms=${KAFKA_START_TIMEOUT_MS:-90000}
NODES=3

jvm_opts() {
  local data=$1
  echo "${KAFKA_HEAP:--Xms256m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS -Dkafka.logs.dir=$data"
}

save_state() {
  {
    echo "KAFKA_VERSION=$KAFKA_VERSION"
    echo "KAFKA_CLUSTER_BROKERS=$KAFKA_CLUSTER_BROKERS"
    for n in $(seq 1 $NODES); do
      for f in PORT PID DATA; do
        v="NODE_${n}_$f"
        echo "$v=${!v:-}"
      done
    done
  } >"$state.tmp"
  mv "$state.tmp" "$state"
}

launch() {
  local n=$1 data port pid
  data_var="NODE_${n}_DATA"; port_var="NODE_${n}_PORT"
  data=${!data_var}; port=${!port_var}
  # shellcheck disable=SC2046
  setsid java $(jvm_opts "$data") -cp "$kafka_libs/*" kafka.Kafka "$data/server.properties" >>"$data/server.log" 2>&1 </dev/null &
  pid=$!
  printf -v "NODE_${n}_PID" '%s' "$pid"
  save_state
}

wait_node() {
  local n=$1 port_var="NODE_${1}_PORT" pid_var="NODE_${1}_PID" data_var="NODE_${1}_DATA"
  if ! node "$here/wait-ready.mjs" "127.0.0.1:${!port_var}" "$timeout_ms" "${!pid_var}"; then
    echo "cluster.sh: node $n did not become ready; last log lines:" >&2
    tail -n 40 "${!data_var}/server.log" >&2 || true
    return 1
  fi
}

stop_node() {
  local n=$1 signal=$2 pid_var="NODE_${1}_PID" pid
  pid=${!pid_var:-}
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -"$signal" "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + ${KAFKA_STOP_TIMEOUT_S:-30} ))
    while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; fi
  fi
  printf -v "NODE_${n}_PID" '%s' ''
  save_state
}

check_node() {
  [[ "$1" =~ ^[1-3]$ ]] || { echo "cluster.sh: node must be 1, 2 or 3 (got '$1')" >&2; exit 2; }
}

cmd=${1:-}
case "$cmd" in
  start)
    if [[ -f "$state" ]]; then bash "$0" stop >/dev/null 2>&1 || true; fi
    bash "$here/fetch.sh"
    mkdir -p "$kafka_run"
    started_at=$(date +%s%N)
    voters=()
    brokers=()
    used=" "
    free_port() {
      local p
      p=$(node "$here/free-port.mjs")
      while [[ "$used" == *" $p "* ]]; do p=$(node "$here/free-port.mjs"); done
      used="$used$p "
      echo "$p"
    }
    for n in $(seq 1 $NODES); do
      port=$(free_port); used="$used$port "
      cport=$(free_port); used="$used$cport "
      printf -v "NODE_${n}_PORT" '%s' "$port"
      printf -v "NODE_${n}_CPORT" '%s' "$cport"
      voters+=("$n@127.0.0.1:$cport")
      brokers+=("127.0.0.1:$port")
    done
    KAFKA_CLUSTER_BROKERS=$(IFS=,; echo "${brokers[*]}")
    quorum=$(IFS=,; echo "${voters[*]}")
    cluster_id=$(node -e "const c=require('node:crypto');let id;do{id=c.randomBytes(16).toString('base64url')}while(id.startsWith('-'));process.stdout.write(id)")
    for n in $(seq 1 $NODES); do
      data=$(mktemp -d "$kafka_run/node$n.XXXXXX")
      printf -v "NODE_${n}_DATA" '%s' "$data"
      port_var="NODE_${n}_PORT"; cport_var="NODE_${n}_CPORT"
      cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$quorum
listeners=PLAINTEXT://127.0.0.1:${!port_var},CONTROLLER://127.0.0.1:${!cport_var}
advertised.listeners=PLAINTEXT://127.0.0.1:${!port_var}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=1
num.network.threads=2
num.io.threads=2
auto.create.topics.enable=false
delete.topic.enable=true
# three nodes: every topic, internal ones included, on all three with two in sync required
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
# a dead node leaves the ISR quickly, and leadership moves back when it returns
replica.lag.time.max.ms=5000
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.retention.ms=-1
log.segment.bytes=1048576
transaction.max.timeout.ms=900000
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
PROPS
      # shellcheck disable=SC2046
      if ! java $(jvm_opts "$data") -cp "$kafka_libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" >"$data/format.log" 2>&1; then
        echo "cluster.sh: formatting node $n failed:" >&2
        cat "$data/format.log" >&2
        exit 1
      fi
    done
    for n in $(seq 1 $NODES); do launch "$n"; done
    for n in $(seq 1 $NODES); do wait_node "$n" || { bash "$0" stop >/dev/null 2>&1; exit 1; }; done
    echo "cluster.sh: Kafka $KAFKA_VERSION cluster of $NODES nodes ready in $(( ($(date +%s%N) - started_at) / 1000000 )) ms"
    echo "KAFKA_CLUSTER_BROKERS=$KAFKA_CLUSTER_BROKERS"
    ;;
  stop-node | start-node)
    n=${2:-}; check_node "$n"
    [[ -f "$state" ]] || { echo "cluster.sh: no cluster recorded in $state" >&2; exit 1; }
    # shellcheck disable=SC1090
    . "$state"
    if [[ "$cmd" == stop-node ]]; then
      signal=TERM
      [[ "${3:-}" == --kill ]] && signal=KILL
      stop_node "$n" "$signal"
      echo "cluster.sh: node $n stopped (SIG$signal)"
    else
      pid_var="NODE_${n}_PID"
      if [[ -n "${!pid_var:-}" ]] && kill -0 "${!pid_var}" 2>/dev/null; then echo "cluster.sh: node $n is running"; exit 0; fi
      launch "$n"
      wait_node "$n"
      echo "cluster.sh: node $n started"
    fi
    ;;
  stop)
    [[ -f "$state" ]] || exit 0
    # shellcheck disable=SC1090
    . "$state"
    for n in $(seq 1 $NODES); do stop_node "$n" KILL; done
    for n in $(seq 1 $NODES); do data_var="NODE_${n}_DATA"; [[ -n "${!data_var:-}" ]] && rm -rf "${!data_var}"; done
    rm -f "$state"
    echo "cluster.sh: stopped"
    ;;
  *)
    echo "cluster.sh: use start, stop-node N [--kill], start-node N or stop (got '$cmd')" >&2
    exit 2
    ;;
esac
