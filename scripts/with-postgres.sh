#!/usr/bin/env bash
# with-postgres.sh CMD...: runs CMD with a throwaway PostgreSQL server.
#
# Installs Debian's postgresql when missing, creates a cluster in a temporary
# directory (as an unprivileged user: `postgres` when run as root), starts it
# listening only on 127.0.0.1 at a free port, exports its URL as
# RETORT_TEST_POSTGRES_URL, runs CMD, then stops the server and removes the
# cluster, whether CMD failed or not. Exits with CMD's status.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -eq 0 ]]; then
  echo "usage: scripts/with-postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  "$here/setup.sh"
  bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

# The server refuses to run as root: run it as `postgres` then.
as_server_user=()
if [[ "$(id -u)" -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_server_user=(runuser -u postgres --)
fi

cluster="$(mktemp -d /tmp/retort-pg.XXXXXX)"
chmod 755 "$cluster"
[[ ${#as_server_user[@]} -gt 0 ]] && chown postgres "$cluster"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        shuf -i 20000-60000 -n 1)"

cleanup() {
  "${as_server_user[@]}" "$bindir/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap cleanup EXIT

"${as_server_user[@]}" "$bindir/initdb" -D "$cluster/data" -U retort --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >"$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; exit 1; }
"${as_server_user[@]}" "$bindir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
  start >/dev/null || { cat "$cluster/server.log" >&2; exit 1; }
"${as_server_user[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U retort retort_test

export RETORT_TEST_POSTGRES_URL="postgresql://retort@127.0.0.1:$port/retort_test"
export RETORT_TEST_POSTGRES_CTL="${as_server_user[*]} $bindir/pg_ctl -D $cluster/data -l $cluster/server.log"
export RETORT_TEST_POSTGRES_SOCKET_DIR="$cluster"
echo "==> PostgreSQL at $RETORT_TEST_POSTGRES_URL"
set +e
"$@"
status=$?
set -e
exit "$status"
