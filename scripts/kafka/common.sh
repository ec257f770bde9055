# Shared settings of the Kafka broker scripts; sourced, not run.
# KAFKA_VERSION picks the Apache Kafka release (Maven Central, org.apache.kafka:kafka_2.13).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.2.0}
kafka_home="$root/target/kafka/$KAFKA_VERSION"
kafka_libs="$kafka_home/libs"
kafka_run="${KAFKA_RUN_DIR:-$root/target/kafka/run}"
kafka_state="$kafka_run/broker.env"
