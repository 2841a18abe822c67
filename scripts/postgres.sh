#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: Debian's server (installed with apt-get when missing and
# this is root), a cluster made by initdb in a temporary directory as the `postgres` user, on a
# free loopback port, with default settings (fsync and synchronous_commit on).
#
#   scripts/postgres.sh start DIR   starts one in DIR; prints its URL (also in DIR/url)
#   scripts/postgres.sh stop DIR    stops it (fast shutdown) and removes DIR
#   scripts/postgres.sh restart DIR stops it and starts it again on the same port and data
#   scripts/postgres.sh pause DIR   stops it, keeping its data; `resume DIR` starts it again
#
# `start` exits 3 with the reason on stderr when PostgreSQL cannot be installed or started: the
# callers then print SKIPPED with that reason.
set -uo pipefail
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart DIR" >&2; exit 2; }

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_server() {
  bindir >/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
    return 1
  fi
  echo "installing postgresql (Debian package)" >&2
  if ! (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql) \
      >/tmp/sqs-local-postgres-install.log 2>&1; then
    echo "could not install postgresql (see /tmp/sqs-local-postgres-install.log)" >&2
    return 1
  fi
  bindir >/dev/null
}

# as_postgres CMD...: runs CMD as the postgres user when this is root (initdb refuses root).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

launch() { # launch BIN PORT
  as_postgres "$1/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $2 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
}

case "$cmd" in
  start)
    install_server || exit 3
    bin="$(bindir)"
    mkdir -p "$dir" && chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if ! as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1; then
      echo "initdb failed (see $dir/initdb.log)" >&2; exit 3
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    if ! launch "$bin" "$port"; then
      echo "postgres did not start (see $dir/log)" >&2; exit 3
    fi
    echo "$port" >"$dir/port"
    url="postgres://postgres@127.0.0.1:$port/postgres"
    echo "$url" | tee "$dir/url"
    ;;
  stop)
    bin="$(bindir)" && [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$dir"
    ;;
  restart|pause|resume)
    bin="$(bindir)" || exit 3
    if [ "$cmd" != resume ]; then
      as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
    fi
    if [ "$cmd" != pause ]; then
      launch "$bin" "$(cat "$dir/port")" || { echo "postgres did not start again (see $dir/log)" >&2; exit 3; }
    fi
    ;;
  *) echo "usage: $0 start|stop|restart|pause|resume DIR" >&2; exit 2 ;;
esac
