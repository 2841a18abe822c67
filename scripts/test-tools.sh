#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing and this is root with apt-get:
# prometheus (promtool, for tests/metrics.rs) and postgresql (the PostgreSQL backend's tests and
# the compat pass on it; installed here, once, before those run side by side). Says what it could
# not install; the tests that need it then print SKIPPED.
set -uo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages)"
  if (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}") \
      >/tmp/sqs-local-test-tools.log 2>&1; then
    exit 0
  fi
  echo "could not install ${missing[*]} (see /tmp/sqs-local-test-tools.log): the tests that need them will say SKIPPED"
else
  echo "${missing[*]} not installed and cannot be installed here (needs root and apt-get): the tests that need them will say SKIPPED"
fi
