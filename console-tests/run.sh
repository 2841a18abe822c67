#!/usr/bin/env bash
# The console's end-to-end tests in headless Chromium against $SQS_LOCAL_BIN (default: a release
# build). Installs Debian's chromium when it is missing and this is root with apt-get, and
# playwright-core with `npm ci`; if Chromium cannot be had, says so and skips (a "SKIPPED" line).
# Screenshots go to target/console-screenshots.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian package)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium) \
      >/tmp/sqs-local-chromium-install.log 2>&1 || true
  fi
  if [ ! -x "$chromium" ]; then
    echo "console tests SKIPPED: no Chromium at $chromium and it cannot be installed here"
    exit 0
  fi
fi

bin="${SQS_LOCAL_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin sqs-local
  bin="$root/target/release/sqs-local"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
if [ ! -d "$here/node_modules" ] || ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json"; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$root/target/console-screenshots"
cd "$here"
SQS_LOCAL_BIN="$bin" CHROMIUM="$chromium" \
  SCREENSHOTS="$root/target/console-screenshots" node --test --test-reporter=spec console.test.mjs
echo "console screenshots: $root/target/console-screenshots"
