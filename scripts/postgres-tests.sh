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
