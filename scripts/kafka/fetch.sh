#!/usr/bin/env bash
# Downloads Apache Kafka $KAFKA_VERSION (kafka_2.13 and its runtime dependencies)
# from Maven Central into target/kafka/<version>/libs with the machine's Maven.
# Idempotent: does nothing when the jars are already there.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [[ -f "$kafka_libs/.complete" ]]; then exit 0; fi
# A fresh Debian/Ubuntu machine: install Java 17 and Maven from the distribution.
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
  if command -v apt-get >/dev/null; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    echo "fetch.sh: installing Java 17 and Maven with apt-get"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  fi
fi
command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is required to download Kafka from Maven Central" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: Java 17+ is required to run Kafka" >&2; exit 1; }

work="$kafka_home/fetch"
rm -rf "$work" "$kafka_libs"
mkdir -p "$work"
# A throwaway pom whose only dependency is the broker; copy-dependencies resolves
# the runtime classpath exactly as Maven would for an application embedding it.
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>rivulet.local</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <!-- the broker logs through slf4j 1.7 but ships no binding as a library; this one
           is configured with system properties by start.sh -->
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
POM
echo "fetch.sh: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
if ! mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$kafka_libs" >"$work/mvn.log" 2>&1; then
  echo "fetch.sh: Maven could not resolve Kafka $KAFKA_VERSION:" >&2
  cat "$work/mvn.log" >&2
  exit 1
fi
rm -rf "$work"
touch "$kafka_libs/.complete"
echo "fetch.sh: $(ls "$kafka_libs" | wc -l) jars in $kafka_libs"
