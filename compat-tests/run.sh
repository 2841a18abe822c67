#!/usr/bin/env bash
# Runs every compat suite against the real release binary:
#   - boto3 (current, JSON 1.0) and the aws CLI v1,
#   - boto3 1.28.60 / botocore 1.31.60 (AWS Query).
# Installs what it needs into virtualenvs under compat-tests/.venv* on first use.
# Prints a client x scenario summary and a final "N passed, N failed" line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

cargo build --release --quiet --bin sqs-local
bin="$root/target/release/sqs-local"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$(mktemp)"
"$bin" --port "$port" --purge-cooldown false --delete-cooldown false >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 || python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
PY
  then break; fi
  sleep 0.1
done

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

passed=0; failed=0; summary=""
run_suite() { # run_suite LABEL VENV PROTOCOL FILES...
  local label="$1" dir="$2" protocol="$3"; shift 3
  local report; report="$(mktemp)"
  set +e
  EXPECTED_PROTOCOL="$protocol" PATH="$dir/bin:$PATH" "$dir/bin/python" -m pytest -q -rA -p no:cacheprovider "$@" >"$report" 2>&1
  set -e
  cat "$report"
  local p f
  p=$(grep -cE '^PASSED ' "$report" || true)
  f=$(grep -cE '^(FAILED|ERROR) ' "$report" || true)
  passed=$((passed + p)); failed=$((failed + f))
  summary+=$(printf '\n%-28s %3d passed %3d failed' "$label" "$p" "$f")
  while read -r line; do summary+=$(printf '\n    %s' "$line"); done < <(grep -E '^(FAILED|ERROR) ' "$report" || true)
}
run_suite "boto3 1.43 (JSON 1.0)" "$here/.venv" json "$here/python/test_boto3.py"
run_suite "aws CLI v1 1.45 (JSON 1.0)" "$here/.venv" json "$here/python/test_cli.py"
run_suite "boto3 1.28.60 (Query)" "$here/.venv-query" query "$here/python/test_boto3.py"

echo
echo "compat-tests: client x scenario summary$summary"
echo
echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
