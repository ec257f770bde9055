#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, broker+controller combined) on
# 127.0.0.1 with free ports, from Maven Central jars and the machine's Java.
#
#   bash scripts/kafka/start.sh          # prints KAFKA_BROKERS=127.0.0.1:<port>
#
# Env: KAFKA_VERSION (default in common.sh), KAFKA_RUN_DIR (where the state file
# broker.env, the data dir and the log go; default target/kafka/run),
# KAFKA_START_TIMEOUT_MS (default 60000), KAFKA_HEAP (default -Xms256m -Xmx512m).
# KAFKA_SECURITY=sasl_ssl adds two secured listeners next to PLAINTEXT (which the broker
# and the readiness check keep using), with certificates from tls-certs.sh:
#   SASL_SSL (printed as KAFKA_SASL_SSL_BROKERS): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and
#     OAUTHBEARER (Kafka's unsecured JWT validator: unsigned tokens with a `sub` claim);
#     users alice/alice-secret (PLAIN, both SCRAMs, created at format time) and bob/bob-secret (PLAIN);
#   SSL with client certificates required (printed as KAFKA_SSL_BROKERS);
#   KAFKA_TLS_DIR: where ca.pem, client.pem, client-key.pem and rogue-ca.pem are.
# Idempotent: if the broker recorded in the state file is alive and answers, it is reused.
# A broker stopped with `stop.sh --keep-data` starts again on the same ports and data
# dir (its topics, offsets and transactions intact), as a restarted production broker would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$root"
started_at=$(date +%s%N)
timeout_ms=${KAFKA_START_TIMEOUT_MS:-60000}

# The secured listeners' endpoints, for with-kafka.sh and tests (nothing when not secured).
print_security() {
  if [[ -n "${KAFKA_SASL_SSL_BROKERS:-}" ]]; then
    echo "KAFKA_SASL_SSL_BROKERS=$KAFKA_SASL_SSL_BROKERS"
    echo "KAFKA_SSL_BROKERS=$KAFKA_SSL_BROKERS"
    echo "KAFKA_TLS_DIR=$KAFKA_TLS_DIR"
  fi
}

wanted_version=$KAFKA_VERSION
resume=
if [[ -f "$kafka_state" ]]; then
  # shellcheck disable=SC1090
  . "$kafka_state"
  if [[ -n "${KAFKA_PID:-}" ]] && kill -0 "$KAFKA_PID" 2>/dev/null && node "$here/wait-ready.mjs" "$KAFKA_BROKERS" 3000 "$KAFKA_PID"; then
    echo "start.sh: reusing Kafka $KAFKA_VERSION (pid $KAFKA_PID) at $KAFKA_BROKERS"
    echo "KAFKA_BROKERS=$KAFKA_BROKERS"
    print_security
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
  listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  advertised="PLAINTEXT://127.0.0.1:$port"
  protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  security_props=
  KAFKA_SASL_SSL_BROKERS=
  KAFKA_SSL_BROKERS=
  KAFKA_TLS_DIR=
  case "${KAFKA_SECURITY:-}" in
    '' | plaintext) ;;
    sasl_ssl)
      KAFKA_TLS_DIR=$root/target/kafka/tls
      bash "$here/tls-certs.sh" "$KAFKA_TLS_DIR"
      taken=" $port $controller_port "
      pick() { local p; p=$(node "$here/free-port.mjs"); while [[ "$taken" == *" $p "* ]]; do p=$(node "$here/free-port.mjs"); done; taken+="$p "; echo "$p"; }
      sasl_port=$(pick)
      ssl_port=$(pick)
      KAFKA_SASL_SSL_BROKERS=127.0.0.1:$sasl_port
      KAFKA_SSL_BROKERS=127.0.0.1:$ssl_port
      listeners+=",SASL_SSL://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port"
      advertised+=",SASL_SSL://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port"
      protocols+=",SASL_SSL:SASL_SSL,SSL:SSL"
      store_pw=$(cat "$KAFKA_TLS_DIR/password")
      tls_props() {
        cat <<TLS
listener.name.$1.ssl.keystore.type=PKCS12
listener.name.$1.ssl.keystore.location=$KAFKA_TLS_DIR/broker.p12
listener.name.$1.ssl.keystore.password=$store_pw
listener.name.$1.ssl.key.password=$store_pw
listener.name.$1.ssl.truststore.type=PKCS12
listener.name.$1.ssl.truststore.location=$KAFKA_TLS_DIR/truststore.p12
listener.name.$1.ssl.truststore.password=$store_pw
TLS
      }
      security_props="# KAFKA_SECURITY=sasl_ssl: test users and certificates (see tls-certs.sh)
$(tls_props sasl_ssl)
$(tls_props ssl)
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\" user_bob=\"bob-secret\";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
      ;;
    *) echo "start.sh: KAFKA_SECURITY must be 'plaintext' or 'sasl_ssl' (got '$KAFKA_SECURITY')" >&2; exit 2 ;;
  esac

  cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
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
$security_props
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
  scram=()
  if [[ -n "$KAFKA_SASL_SSL_BROKERS" ]]; then
    scram=(--add-scram 'SCRAM-SHA-256=[name=alice,password=alice-secret]' --add-scram 'SCRAM-SHA-512=[name=alice,password=alice-secret]')
  fi
  if ! java "${jvm_opts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" "${scram[@]}" >"$data/format.log" 2>&1; then
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
KAFKA_SASL_SSL_BROKERS=${KAFKA_SASL_SSL_BROKERS:-}
KAFKA_SSL_BROKERS=${KAFKA_SSL_BROKERS:-}
KAFKA_TLS_DIR=${KAFKA_TLS_DIR:-}
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
print_security
