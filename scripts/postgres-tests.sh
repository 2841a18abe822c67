#!/usr/bin/env bash
# The PostgreSQL backend's tests against a throwaway PostgreSQL (scripts/postgres.sh):
#   1. the queue and topic conformance suites (engine/tests/postgres.rs);
#   2. the crash test on PostgreSQL: node kills (CRASH_CYCLES, default 20) and database restarts
#      (3) under load, nothing acknowledged lost or resurrected.
# Says SKIPPED with the reason when PostgreSQL cannot be installed or started.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(mktemp -d /tmp/sqs-local-pg.XXXXXX)"
trap 'scripts/postgres.sh stop "$dir"' EXIT
if ! url="$(scripts/postgres.sh start "$dir" 2>"$dir.why")"; then
  echo "postgres-tests: SKIPPED ($(cat "$dir.why"))"
  rm -f "$dir.why"
  exit 0
fi
rm -f "$dir.why"
echo "postgres-tests: PostgreSQL at $url"
# The property tests' 2,000 random cases each cost round trips here; 300 keep them meaningful.
SQS_LOCAL_TEST_DATABASE_URL="$url" SQS_LOCAL_PROPTEST_CASES="${SQS_LOCAL_PROPTEST_CASES:-300}" \
  cargo test -p sqs-local-engine --features postgres-tests --test postgres
base="${url%/*}"
psql -q "$url" -c "CREATE DATABASE sqs_local_crash"
CRASH_DATABASE_URL="$base/sqs_local_crash" CRASH_POSTGRES_PAUSE="scripts/postgres.sh pause $dir" \
  CRASH_POSTGRES_RESUME="scripts/postgres.sh resume $dir" \
  cargo test --test crash -- --nocapture

# TLS: the server gets a certificate for 127.0.0.1 from a CA made here; sqs-local connects with
# sslmode=verify-full against that CA (and is seen encrypted in pg_stat_ssl), with require, and is
# refused at once with verify-full against another CA.
if ! command -v openssl >/dev/null 2>&1; then
  echo "postgres-tests: TLS SKIPPED (no openssl)"
  exit 0
fi
tls="$dir/tls"
mkdir -p "$tls"
(
  cd "$tls"
  for ca in ca other; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sqs-local test $ca" -keyout $ca.key -out $ca.pem 2>/dev/null
  done
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
  printf "subjectAltName=IP:127.0.0.1\n" >san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null
  chmod 600 server.key
  [ "$(id -u)" = 0 ] && chown postgres server.key server.pem
)
psql -q "$url" -c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.pem'" \
  -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" -c "SELECT pg_reload_conf()" >/dev/null
bin=target/debug/sqs-local
tls_node() { # tls_node SSL_QUERY: starts a node on that URL, prints its /health status, stops it
  local port; port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$bin" --port "$port" --database-url "$url?$1" >"$tls/node.log" 2>&1 &
  local pid=$! status=none
  for _ in $(seq 1 100); do
    status="$(python3 - "$port" <<'PY' 2>/dev/null || true
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
)"
    [ "$status" = 200 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  encrypted="$(psql -qtA "$url" -c "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.application_name = 'sqs-local'")"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  echo "$status $encrypted"
}
failed=0
check() { # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "TLS PASSED: $1"; else echo "TLS FAILED: $1 (expected '$2', got '$3')"; failed=1; fi
}
result="$(tls_node "sslmode=verify-full&sslrootcert=$tls/ca.pem")"
check "verify-full against the server's CA: healthy, encrypted" "200 yes" "${result%% *} $([ "${result##* }" -gt 0 ] && echo yes || echo no)"
result="$(tls_node "sslmode=require")"
check "require: healthy, encrypted" "200 yes" "${result%% *} $([ "${result##* }" -gt 0 ] && echo yes || echo no)"
started=$SECONDS
tls_node "sslmode=verify-full&sslrootcert=$tls/other.pem" >/dev/null
refused="$(grep -c "TLS to the database cannot be set up" "$tls/node.log" || true)"
check "verify-full against another CA: refused at once" "1 quick" "$refused $([ $((SECONDS - started)) -lt 15 ] && echo quick || echo slow)"
[ "$failed" = 0 ]
