#!/usr/bin/env bash
# bench/app-load.sh [THREADS] [REQUESTS]: the petshop server under load.
# Builds the release preset, starts `petshop run` on a fresh SQLite database
# (upgraded and seeded) at a free loopback port, runs bench/petshop_load
# (8 clients x 500 mixed requests by default), stops the server, and checks
# in the database that every write the clients saw succeed is there once.
# Prints the load report (requests per second, p50/p99 latency) and the
# check. DATABASE_URL=postgresql://... runs it on PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-8}"
requests="${2:-500}"

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target petshop petshop_load >/dev/null

work="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="${DATABASE_URL:-sqlite:///$work/load.db}"
petshop="$PWD/build/release/examples/petshop"
"$petshop" db upgrade -d examples/petshop/migrations >/dev/null 2>&1
"$petshop" seed >/dev/null
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$petshop" run --port "$port" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

status=0
report="$(build/release/bench/petshop_load "$port" "$threads" "$requests")" || status=$?
echo "$report"

# Every write the clients saw succeed is in the database, once.
owners_created="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["owners_created"])' "$report")"
pets_created="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pets_created"])' "$report")"
page="$(curl -sf "http://127.0.0.1:$port/owners?per_page=1")"
owners="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total"])' "$page")"
page="$(curl -sf "http://127.0.0.1:$port/pets?per_page=1")"
pets="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total"])' "$page")"
# The seed loaded 2 owners and 3 pets.
if [[ "$owners" -eq $((owners_created + 2)) && "$pets" -eq $((pets_created + 3)) ]]; then
  echo "database: $owners owners, $pets pets: every acknowledged write is there, once"
else
  echo "database: $owners owners, $pets pets; expected $((owners_created + 2)) and $((pets_created + 3))" >&2
  status=1
fi
exit "$status"
