#!/usr/bin/env bash
# Stops the broker recorded in the state file, keeping its data, and starts it
# again on the same ports and data dir (a broker outage of KAFKA_DOWN_S seconds,
# default 0).
#
#   bash scripts/kafka/restart.sh [--kill]     # prints KAFKA_BROKERS=127.0.0.1:<same port>
#
# Env as start.sh and stop.sh (KAFKA_RUN_DIR picks the broker).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/stop.sh" --keep-data "$@"
sleep "${KAFKA_DOWN_S:-0}"
exec bash "$here/start.sh"
