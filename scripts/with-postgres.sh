#!/usr/bin/env bash
# with-postgres.sh [--replica] CMD...: runs CMD with a throwaway PostgreSQL server.
#
# Installs Debian's postgresql when missing, creates a cluster in a temporary
# directory (as an unprivileged user: `postgres` when run as root), starts it
# listening only on 127.0.0.1 at a free port, exports its URL as
# RETORT_TEST_POSTGRES_URL, runs CMD, then stops the server and removes the
# cluster, whether CMD failed or not. Exits with CMD's status.
#
# Exported for CMD:
#   RETORT_TEST_POSTGRES_URL         postgresql://retort@127.0.0.1:PORT/retort_test
#                                    (`retort` is a superuser, trust auth on loopback)
#   RETORT_TEST_POSTGRES_CTL         pg_ctl for the server, as a command prefix: append
#                                    pg_ctl's arguments (`... -m fast -w restart`)
#   RETORT_TEST_POSTGRES_SOCKET_DIR  the directory of the server's Unix socket
#
# --replica also starts a hot standby streaming from that server (the primary):
# a `pg_basebackup -R -X stream` copy in the same temporary directory, on
# another free port, fed through a physical replication slot (so it catches
# up after being stopped for a while). CMD starts once the standby is in
# recovery and the primary shows it as 'streaming' in pg_stat_replication.
# It also exports:
#   RETORT_TEST_POSTGRES_REPLICA_URL    the standby's URL: same user and database
#                                       as RETORT_TEST_POSTGRES_URL, the standby's port
#   RETORT_TEST_POSTGRES_REPLICA_CTL    pg_ctl for the standby, as a command prefix
#                                       (a script that runs pg_ctl -D DATA -l LOG as the
#                                       server user, from root or from that user)
#   RETORT_TEST_POSTGRES_REPLICA_STOP   a whole shell command: stops the standby (fast, waits)
#   RETORT_TEST_POSTGRES_REPLICA_START  a whole shell command: starts it again (waits until
#                                       it accepts connections; it then resumes streaming)
#   RETORT_TEST_POSTGRES_REPLICA_DATA   the standby's data directory
#   RETORT_TEST_POSTGRES_REPLICA_LOG    the standby's server log
# Settings of the standby change at run time over RETORT_TEST_POSTGRES_REPLICA_URL
# like on any server: ALTER SYSTEM is allowed on a hot standby (it writes
# postgresql.auto.conf, not WAL), e.g.
#   psql "$RETORT_TEST_POSTGRES_REPLICA_URL" -c "ALTER SYSTEM SET recovery_min_apply_delay = '2s'" \
#        -c "SELECT pg_reload_conf()"
# (ALTER SYSTEM RESET recovery_min_apply_delay undoes it). With --replica the
# primary runs with synchronous_commit=on (without it: off), so that once a
# COMMIT returns its WAL is written and sent to the standby at once. (With off,
# the commit record is written up to wal_writer_delay later; the LSN a session
# waits for, pg_current_wal_insert_lsn(), is right either way, but the standby
# would replay it later and the tests that wait for it would wait longer.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
replica=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --replica) replica=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [[ $# -eq 0 ]]; then
  echo "usage: scripts/with-postgres.sh [--replica] COMMAND [ARGS...]" >&2
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

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    shuf -i 20000-60000 -n 1
}
port="$(free_port)"

cleanup() {
  if [[ -d "$cluster/replica" ]]; then
    "${as_server_user[@]}" "$bindir/pg_ctl" -D "$cluster/replica" -m immediate stop >/dev/null 2>&1 || true
  fi
  "${as_server_user[@]}" "$bindir/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap cleanup EXIT

# Replication (wal_level=replica, WAL senders, the `replication` lines of
# pg_hba.conf that initdb writes) is PostgreSQL's default; --replica says so
# explicitly rather than relying on it.
# synchronous_commit=on: see the header (with fsync=off it costs next to nothing).
synchronous_commit=off
replication_opts=""
if [[ $replica -eq 1 ]]; then
  synchronous_commit=on
  replication_opts=" -c wal_level=replica -c max_wal_senders=10 -c max_replication_slots=10"
fi

"${as_server_user[@]}" "$bindir/initdb" -D "$cluster/data" -U retort --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >"$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; exit 1; }
if [[ $replica -eq 1 ]] && ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$cluster/data/pg_hba.conf"; then
  echo "host replication all 127.0.0.1/32 trust" | "${as_server_user[@]}" tee -a "$cluster/data/pg_hba.conf" >/dev/null
fi
"${as_server_user[@]}" "$bindir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=$synchronous_commit -c full_page_writes=off -c max_connections=100$replication_opts" \
  start >/dev/null || { cat "$cluster/server.log" >&2; exit 1; }
"${as_server_user[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U retort retort_test

export RETORT_TEST_POSTGRES_URL="postgresql://retort@127.0.0.1:$port/retort_test"
export RETORT_TEST_POSTGRES_CTL="${as_server_user[*]} $bindir/pg_ctl -D $cluster/data -l $cluster/server.log"
export RETORT_TEST_POSTGRES_SOCKET_DIR="$cluster"
echo "==> PostgreSQL at $RETORT_TEST_POSTGRES_URL"

if [[ $replica -eq 1 ]]; then
  replica_failed() {  # replica_failed WHAT: says what failed, shows both logs, exits
    echo "with-postgres.sh: replica: $1" >&2
    for log in "$cluster/basebackup.log" "$cluster/server.log" "$cluster/replica.log"; do
      [[ -s "$log" ]] && { echo "---- $log" >&2; cat "$log" >&2; }
    done
    exit 1
  }
  psql_at() { PGCONNECT_TIMEOUT=5 "$bindir/psql" -X -q -At -w -d "postgresql://retort@127.0.0.1:$1/retort_test" -c "$2" </dev/null 2>/dev/null; }

  rport="$(free_port)"  # the primary holds its own port now, so this one differs...
  while [[ "$rport" == "$port" ]]; do rport="$(free_port)"; done  # ...unless shuf chose it
  "${as_server_user[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$port" -U retort -D "$cluster/replica" \
    -R -X stream -c fast -C -S retort_replica --no-sync </dev/null >"$cluster/basebackup.log" 2>&1 ||
    replica_failed "pg_basebackup from the primary (port $port) failed; see $cluster/basebackup.log"
  # The copy has the primary's postgresql.conf (whose port came from the command
  # line, not the file): give the standby its own, so a plain `pg_ctl start` works.
  "${as_server_user[@]}" tee -a "$cluster/replica/postgresql.conf" >/dev/null <<CONF

# with-postgres.sh --replica: the standby
listen_addresses = '127.0.0.1'
port = $rport
unix_socket_directories = '$cluster'
hot_standby = on
fsync = off
full_page_writes = off
max_connections = 100
CONF
  cat >"$cluster/replica-ctl" <<CTL
#!/bin/sh
# pg_ctl for the with-postgres.sh standby, run as the server user.
if [ "\$(id -u)" -eq 0 ] && [ "\$(id -u)" -ne "\$(stat -c %u "$cluster/replica")" ]; then
  exec runuser -u "\$(stat -c %U "$cluster/replica")" -- "$bindir/pg_ctl" -D "$cluster/replica" -l "$cluster/replica.log" "\$@"
fi
exec "$bindir/pg_ctl" -D "$cluster/replica" -l "$cluster/replica.log" "\$@"
CTL
  chmod 755 "$cluster/replica-ctl"
  "$cluster/replica-ctl" -w -t 60 start >/dev/null ||
    replica_failed "the standby (port $rport) did not start; see $cluster/replica.log"

  # Streaming: in recovery on the standby, and 'streaming' on the primary.
  timeout=60
  deadline=$((SECONDS + timeout))
  until [[ "$(psql_at "$rport" 'SELECT pg_is_in_recovery()' || true)" == "t" &&
           "$(psql_at "$port" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" || true)" -ge 1 ]]; do
    if ((SECONDS >= deadline)); then
      in_recovery="$(psql_at "$rport" 'SELECT pg_is_in_recovery()' || echo 'no connection')"
      states="$(psql_at "$port" 'SELECT coalesce(string_agg(state, $$,$$), $$no row$$) FROM pg_stat_replication' || echo 'no connection')"
      replica_failed "not streaming after $timeout s: pg_is_in_recovery() on the standby (port $rport): $in_recovery; pg_stat_replication.state on the primary (port $port): $states; see $cluster/replica.log and $cluster/server.log"
    fi
    sleep 0.2
  done

  export RETORT_TEST_POSTGRES_REPLICA_URL="postgresql://retort@127.0.0.1:$rport/retort_test"
  export RETORT_TEST_POSTGRES_REPLICA_CTL="$cluster/replica-ctl"
  export RETORT_TEST_POSTGRES_REPLICA_STOP="$cluster/replica-ctl -m fast -w -t 60 stop"
  export RETORT_TEST_POSTGRES_REPLICA_START="$cluster/replica-ctl -w -t 60 start"
  export RETORT_TEST_POSTGRES_REPLICA_DATA="$cluster/replica"
  export RETORT_TEST_POSTGRES_REPLICA_LOG="$cluster/replica.log"
  echo "==> PostgreSQL replica at $RETORT_TEST_POSTGRES_REPLICA_URL"
fi

set +e
"$@"
status=$?
set -e
exit "$status"
