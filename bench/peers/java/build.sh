#!/usr/bin/env bash
# Builds the Java peer runners into target/peers.jar (one runnable jar):
#   bash bench/peers/java/build.sh
# Rebuilds only when pom.xml or a source changed since the last build; prints
# nothing unless the build fails (then Maven's output goes to stderr).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
jar=target/peers.jar
stamp=target/.sources.sha256
sum=$( { echo pom.xml; find src -type f | LC_ALL=C sort; } | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [[ -f "$jar" && -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
  exit 0
fi
command -v mvn >/dev/null || { echo "build.sh: mvn (Apache Maven) not found on PATH" >&2; exit 1; }
command -v java >/dev/null || { echo "build.sh: java not found on PATH" >&2; exit 1; }
mkdir -p target
log=target/build.log
rm -f "$stamp"
if ! mvn -q -B -Dstyle.color=never -DskipTests package >"$log" 2>&1; then
  cat "$log" >&2
  echo "build.sh: Maven build failed (log: $here/$log)" >&2
  exit 1
fi
[[ -f "$jar" ]] || { echo "build.sh: Maven did not produce $here/$jar" >&2; exit 1; }
echo "$sum" >"$stamp"
