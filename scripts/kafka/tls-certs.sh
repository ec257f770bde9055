#!/usr/bin/env bash
# Makes the test certificates of the secured listeners (start.sh with
# KAFKA_SECURITY=sasl_ssl) with the JDK's keytool, in $1 (default target/kafka/tls):
#
#   ca.p12, ca.pem            a test CA (its PEM is what clients trust)
#   broker.p12                the broker's key and certificate (SAN 127.0.0.1, localhost), signed by the CA
#   truststore.p12            the CA, for the broker's check of client certificates
#   client.pem, client-key.pem  a client certificate signed by the CA and its unencrypted PKCS#8 key
#   rogue-ca.pem              a CA that signed nothing: trusting only it must fail the handshake
#   password                  the keystores' password
#
# keytool cannot export a private key, so client-key.pem comes out of the client's
# PKCS#12 through openssl. Idempotent: a complete directory is reused (keytool runs
# a JVM per call, about 15 calls).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
dir=${1:-$root/target/kafka/tls}
if [[ -f "$dir/.complete" ]]; then exit 0; fi
command -v keytool >/dev/null || { echo "tls-certs.sh: the JDK's keytool is required (installed with Java by fetch.sh)" >&2; exit 1; }
if ! command -v openssl >/dev/null && command -v apt-get >/dev/null; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "tls-certs.sh: installing openssl with apt-get"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null 2>&1 \
    || { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null; }
fi
command -v openssl >/dev/null || { echo "tls-certs.sh: openssl is required to export the client key as PEM" >&2; exit 1; }
# Made in a scratch dir and moved into place whole: a broker started meanwhile (a test's
# own) never sees half a set, and of two concurrent runs the first to finish wins.
[[ -d "$dir" ]] && rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
work=$(mktemp -d "$dir.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
pw=rivulet-test-store
echo "$pw" >password
kt() { keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@" -storetype PKCS12 -storepass "$pw" -noprompt >/dev/null 2>&1 || { echo "tls-certs.sh: keytool $1 failed" >&2; keytool "$@" -storetype PKCS12 -storepass "$pw" -noprompt; exit 1; }; }
days=3650

# keytool runs are JVM starts; the independent key pairs are made in parallel.
kt -genkeypair -alias ca -dname 'CN=rivulet-test-ca' -ext bc:c -keyalg RSA -keysize 2048 -validity $days -keystore ca.p12 &
kt -genkeypair -alias broker -dname 'CN=localhost' -keyalg RSA -keysize 2048 -validity $days -keystore broker.p12 &
kt -genkeypair -alias client -dname 'CN=rivulet-client' -keyalg RSA -keysize 2048 -validity $days -keystore client.p12 &
kt -genkeypair -alias rogue -dname 'CN=rivulet-rogue-ca' -ext bc:c -keyalg RSA -keysize 2048 -validity $days -keystore rogue.p12 &
wait

kt -exportcert -rfc -alias ca -keystore ca.p12 -file ca.pem &
kt -exportcert -rfc -alias rogue -keystore rogue.p12 -file rogue-ca.pem &
kt -certreq -alias broker -keystore broker.p12 -file broker.csr &
kt -certreq -alias client -keystore client.p12 -file client.csr &
wait

kt -gencert -alias ca -keystore ca.p12 -infile broker.csr -outfile broker.pem -rfc -validity $days -ext 'SAN=IP:127.0.0.1,DNS:localhost' &
kt -gencert -alias ca -keystore ca.p12 -infile client.csr -outfile client.pem -rfc -validity $days &
kt -importcert -alias ca -file ca.pem -keystore truststore.p12 &
wait

# A signed certificate replaces the self-signed one once its issuer is in the keystore.
kt -importcert -alias ca -file ca.pem -keystore broker.p12 &
kt -importcert -alias ca -file ca.pem -keystore client.p12 &
wait
kt -importcert -alias broker -file broker.pem -keystore broker.p12 &
kt -importcert -alias client -file client.pem -keystore client.p12 &
wait

openssl pkcs12 -in client.p12 -passin "pass:$pw" -nocerts -nodes 2>/dev/null | openssl pkey -out client-key.pem
rm -f ./*.csr rogue.p12
touch .complete
cd ..
mv -T "$work" "$dir" 2>/dev/null || [[ -f "$dir/.complete" ]]
