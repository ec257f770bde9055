#!/usr/bin/env bash
# Stops the broker recorded in the state file (SIGTERM, then SIGKILL after
# KAFKA_STOP_TIMEOUT_S, default 20 s) and removes its data dir and the state file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

if [[ ! -f "$kafka_state" ]]; then
  echo "stop.sh: no broker recorded in $kafka_state"
  exit 0
fi
# shellcheck disable=SC1090
. "$kafka_state"
pid=${KAFKA_PID:-}
if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + ${KAFKA_STOP_TIMEOUT_S:-20} ))
  while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: broker $pid ignored SIGTERM, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  echo "stop.sh: stopped Kafka (pid $pid)"
fi
# Only ever delete a data dir we created (inside the run dir).
if [[ -n "${KAFKA_DATA_DIR:-}" && "$KAFKA_DATA_DIR" == "$kafka_run"/data.* ]]; then rm -rf "$KAFKA_DATA_DIR"; fi
rm -f "$kafka_state"
