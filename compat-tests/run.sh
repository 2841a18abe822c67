#!/usr/bin/env bash
# Runs every compat suite against the real release binary ($SQS_LOCAL_BIN, or target/release):
#   - boto3 (current, JSON 1.0 to SQS, Query to SNS), the aws CLI v1 (sqs and sns),
#     Celery + kombu (SQS transport; and kombu's SNS fan-out with supports_fanout),
#   - boto3 1.28.60 / botocore 1.31.60 (AWS Query),
#   - the JavaScript SDK v3 (@aws-sdk/client-sqs, MD5 checks on; @aws-sdk/client-sns),
#   - the Rust SDK (aws-sdk-sqs and aws-sdk-sns; tests/sdk.rs pointed at the binary);
# then all of them again (but the README fixture) against a server verifying SigV4 signatures.
# Installs what it needs on first use: virtualenvs under compat-tests/.venv*, `npm ci` in
# compat-tests/js (committed lockfile).
# Prints a client x scenario summary and a final "N passed, N failed" line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# SQS_LOCAL_BIN: the binary to test (make test passes the static one that the image ships).
bin="${SQS_LOCAL_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin sqs-local
  bin="$root/target/release/sqs-local"
fi

servers=()
trap 'for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done' EXIT
# start_server EXTRA_ARGS...: a fresh binary on a free port; sets $port.
start_server() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$bin" --port "$port" --purge-cooldown false --delete-cooldown false "$@" >"$(mktemp)" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 || python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
PY
    then break; fi
    sleep 0.1
  done
}
start_server

venv() { # venv DIR REQUIREMENTS
  local dir="$1" req="$2"
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$req" "$dir/.requirements"; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$dir/.requirements"
  fi
}
venv "$here/.venv" "$here/python/requirements.txt"
venv "$here/.venv-query" "$here/python/requirements-query.txt"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

if [ ! -d "$here/js/node_modules" ] || ! cmp -s "$here/js/package-lock.json" "$here/js/node_modules/.package-lock.json"; then
  (cd "$here/js" && npm ci --no-audit --no-fund --loglevel=error)
fi

passed=0; failed=0; summary=""; reports=()
# tally LABEL REPORT PASSED FAILED FAILED_LINES_REGEX: adds one row to the summary.
tally() {
  local label="$1" report="$2" p="$3" f="$4" regex="$5"
  passed=$((passed + p)); failed=$((failed + f))
  reports+=("$label=$report")
  summary+=$(printf '\n%-36s %3d passed %3d failed' "$label" "$p" "$f")
  while read -r line; do summary+=$(printf '\n    %s' "$line"); done < <(grep -E "$regex" "$report" || true)
}
run_pytest() { # run_pytest LABEL VENV PROTOCOL FILES...
  local label="$1" dir="$2" protocol="$3"; shift 3
  local report; report="$(mktemp)"
  EXPECTED_PROTOCOL="$protocol" PATH="$dir/bin:$PATH" "$dir/bin/python" -m pytest -q -rA -p no:cacheprovider "$@" >"$report" 2>&1 || true
  cat "$report"
  tally "$label" "$report" "$(grep -cE '^PASSED ' "$report" || true)" "$(grep -cE '^(FAILED|ERROR) ' "$report" || true)" '^(FAILED|ERROR) '
}
run_node() { # run_node LABEL
  local report; report="$(mktemp)"
  (cd "$here/js" && node --test --test-reporter=tap sqs.test.mjs sns.test.mjs) >"$report" 2>&1 || true
  cat "$report"
  local p f
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$report" | tail -1); f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$report" | tail -1)
  tally "$1" "$report" "${p:-0}" "${f:-1}" '^not ok '
}
run_rust() { # run_rust LABEL
  local report; report="$(mktemp)"
  SQS_LOCAL_COMPAT_ENDPOINT="$AWS_ENDPOINT_URL" cargo test --test sdk >"$report" 2>&1 || true
  cat "$report"
  local p f
  p=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$report" | tail -1)
  f=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$report" | tail -1)
  tally "$1" "$report" "${p:-0}" "${f:-1}" '^test .* FAILED$'
}
run_pytest "boto3 1.43 (JSON 1.0)" "$here/.venv" json "$here/python/test_boto3.py" "$here/python/test_faults.py" "$here/python/test_readme_fixture.py" "$here/python/test_sns.py"
run_pytest "aws CLI v1 1.45 (JSON 1.0)" "$here/.venv" json "$here/python/test_cli.py"
run_pytest "Celery 5.7 + kombu 5.7 (JSON 1.0)" "$here/.venv" json "$here/celery/test_celery.py" "$here/celery/test_fanout.py"
run_pytest "boto3 1.28.60 (Query)" "$here/.venv-query" query "$here/python/test_boto3.py" "$here/python/test_faults.py" "$here/python/test_readme_fixture.py" "$here/python/test_sns.py"
run_node "JS SDK v3 3.1175 + client-sns 3.1178"
run_rust "Rust aws-sdk-sqs + aws-sdk-sns 1.x"

# The same clients against a server that verifies every signature (--credential test:test, the
# keys they sign with): nothing in them changes.
start_server --credential test:test --admin-token compat-admin
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" SQS_LOCAL_ADMIN_TOKEN=compat-admin SQS_LOCAL_VERIFIED=1
run_pytest "boto3 1.43 (JSON 1.0), verified" "$here/.venv" json "$here/python/test_boto3.py" "$here/python/test_faults.py" "$here/python/test_auth.py" "$here/python/test_sns.py"
run_pytest "aws CLI v1 1.45 (JSON 1.0), verified" "$here/.venv" json "$here/python/test_cli.py"
run_pytest "Celery 5.7 + kombu 5.7 (JSON 1.0), verified" "$here/.venv" json "$here/celery/test_celery.py" "$here/celery/test_fanout.py"
run_pytest "boto3 1.28.60 (Query), verified" "$here/.venv-query" query "$here/python/test_boto3.py" "$here/python/test_faults.py" "$here/python/test_auth.py" "$here/python/test_sns.py"
run_node "JS SDK v3 + client-sns, verified"
run_rust "Rust aws-sdk-sqs + aws-sdk-sns 1.x, verified"

# Once more against a server whose state lives in PostgreSQL: SQS_LOCAL_COMPAT_DATABASE_URL (an
# empty database), or else a throwaway server started here (scripts/postgres.sh): the same
# clients, unverified.
if [ -z "${SQS_LOCAL_COMPAT_DATABASE_URL:-}" ]; then
  pg_dir="$(mktemp -d /tmp/sqs-local-compat-pg.XXXXXX)"
  trap 'for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done; "$root/scripts/postgres.sh" stop "$pg_dir"' EXIT
  if pg_url="$("$root/scripts/postgres.sh" start "$pg_dir" 2>"$pg_dir.why")"; then
    SQS_LOCAL_COMPAT_DATABASE_URL="$pg_url"
  else
    pg_why="$(cat "$pg_dir.why")"
  fi
  rm -f "$pg_dir.why"
fi
if [ -n "${SQS_LOCAL_COMPAT_DATABASE_URL:-}" ]; then
  start_server --database-url "$SQS_LOCAL_COMPAT_DATABASE_URL"
  unset SQS_LOCAL_ADMIN_TOKEN SQS_LOCAL_VERIFIED
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  run_pytest "boto3 1.43 (JSON 1.0), PostgreSQL" "$here/.venv" json "$here/python/test_boto3.py" "$here/python/test_faults.py" "$here/python/test_sns.py"
  run_pytest "aws CLI v1 1.45 (JSON 1.0), PostgreSQL" "$here/.venv" json "$here/python/test_cli.py"
  run_pytest "Celery 5.7 + kombu 5.7 (JSON 1.0), PostgreSQL" "$here/.venv" json "$here/celery/test_celery.py" "$here/celery/test_fanout.py"
  run_pytest "boto3 1.28.60 (Query), PostgreSQL" "$here/.venv-query" query "$here/python/test_boto3.py" "$here/python/test_sns.py"
  run_node "JS SDK v3 + client-sns, PostgreSQL"
  run_rust "Rust aws-sdk-sqs + aws-sdk-sns 1.x, PostgreSQL"
else
  echo "compat-tests: PostgreSQL pass SKIPPED (${pg_why:-no database})"
fi

echo
echo "compat-tests: client x scenario (numbers from compat-tests/scenarios.md)"
python3 "$here/matrix.py" "${reports[@]}"
echo
echo "compat-tests: per client$summary"
echo
echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
