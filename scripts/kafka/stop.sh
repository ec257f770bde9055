#!/usr/bin/env bash
# Stops the broker recorded in the state file (SIGTERM, then SIGKILL after
# KAFKA_STOP_TIMEOUT_S, default 20 s) and removes its data dir and the state file.
#
#   bash scripts/kafka/stop.sh [--keep-data] [--kill]
#
# --keep-data: keeps the data dir and records the broker as stopped, so the next
#   start.sh restarts it on the same ports with its topics and offsets (a broker outage).
# --kill: SIGKILL at once instead of SIGTERM (a crash: no controlled shutdown,
#   the restart recovers the logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

keep=
signal=TERM
for arg in "$@"; do
  case "$arg" in
    --keep-data) keep=1 ;;
    --kill) signal=KILL ;;
    *) echo "stop.sh: unknown option $arg (use --keep-data, --kill)" >&2; exit 2 ;;
  esac
done

if [[ ! -f "$kafka_state" ]]; then
  echo "stop.sh: no broker recorded in $kafka_state"
  exit 0
fi
# shellcheck disable=SC1090
. "$kafka_state"
pid=${KAFKA_PID:-}
if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
  kill -"$signal" "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + ${KAFKA_STOP_TIMEOUT_S:-20} ))
  while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: broker $pid ignored SIGTERM, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  echo "stop.sh: stopped Kafka (pid $pid, SIG$signal)"
fi
if [[ -n "$keep" && -n "${KAFKA_DATA_DIR:-}" && -d "$KAFKA_DATA_DIR" ]]; then
  cat >"$kafka_state" <<STATE
KAFKA_BROKERS=$KAFKA_BROKERS
KAFKA_PID=
KAFKA_DATA_DIR=$KAFKA_DATA_DIR
KAFKA_VERSION=$KAFKA_VERSION
KAFKA_SASL_SSL_BROKERS=${KAFKA_SASL_SSL_BROKERS:-}
KAFKA_SSL_BROKERS=${KAFKA_SSL_BROKERS:-}
KAFKA_TLS_DIR=${KAFKA_TLS_DIR:-}
KAFKA_STOPPED=1
STATE
  exit 0
fi
# Only ever delete a data dir we created (inside the run dir).
if [[ -n "${KAFKA_DATA_DIR:-}" && "$KAFKA_DATA_DIR" == "$kafka_run"/data.* ]]; then rm -rf "$KAFKA_DATA_DIR"; fi
rm -f "$kafka_state"
