#!/usr/bin/env bash
# Runs a command against a fresh Kafka broker and stops the broker afterwards,
# whatever happens; exits with the command's status.
#
#   bash scripts/kafka/with-kafka.sh npx vitest run test/integration
#
# KAFKA_SECURITY=sasl_ssl starts the broker with its secured listeners too (see start.sh)
# and exports KAFKA_SASL_SSL_BROKERS, KAFKA_SSL_BROKERS and KAFKA_TLS_DIR.
# If KAFKA_BROKERS is already set, the command runs against that broker and
# nothing is started or stopped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

if [[ -n "${KAFKA_BROKERS:-}" ]]; then
  echo "with-kafka.sh: using KAFKA_BROKERS=$KAFKA_BROKERS"
  exec "$@"
fi

# A private run dir: never reuses or stops a broker someone started by hand.
mkdir -p "$root/target/kafka"
export KAFKA_RUN_DIR
KAFKA_RUN_DIR=$(mktemp -d "$root/target/kafka/run-with.XXXXXX")
cleanup() {
  # Tests that stop and restart a broker run a private one in a run dir of their own
  # under this one; a test killed half-way must not leave it running.
  for nested in "$KAFKA_RUN_DIR"/*/broker.env; do
    [[ -f "$nested" ]] && { KAFKA_RUN_DIR=$(dirname "$nested") bash "$here/stop.sh" >/dev/null || true; }
  done
  for nested in "$KAFKA_RUN_DIR"/*/cluster.env; do
    [[ -f "$nested" ]] && { KAFKA_RUN_DIR=$(dirname "$nested") bash "$here/cluster.sh" stop >/dev/null || true; }
  done
  bash "$here/stop.sh" >/dev/null || true
  rm -rf "$KAFKA_RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

out=$(bash "$here/start.sh") || { echo "$out"; echo "with-kafka.sh: could not start Kafka" >&2; exit 1; }
echo "$out" | grep -v '^KAFKA_[A-Z_]*='
for name in KAFKA_BROKERS KAFKA_SASL_SSL_BROKERS KAFKA_SSL_BROKERS KAFKA_TLS_DIR; do
  value=$(echo "$out" | sed -n "s/^$name=//p" | tail -n 1)
  if [[ -n "$value" ]]; then export "$name=$value"; fi
done
# Brokers the tests start for themselves (test/support/kafka-broker.ts) are plain unless asked.
unset KAFKA_SECURITY
"$@"
status=$?
exit "$status"
