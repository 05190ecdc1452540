#!/usr/bin/env bash
# Installs what is missing, builds the release preset, and runs the petshop
# example on SQLite: `petshop db upgrade` on the database its .flaskenv names
# (sqlite:///dev.db in examples/petshop), demo data once, then the server on
# 127.0.0.1:5000 (PORT=... to change it). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh  # via bash: works even if the exec bit was lost
cmake --preset release
cmake --build --preset release --target petshop

port="${PORT:-5000}"
cd examples/petshop  # DATABASE_URL comes from the .flaskenv here
petshop=../../build/release/examples/petshop
"$petshop" db upgrade
"$petshop" seed
cat <<TRY

petshop is starting on http://127.0.0.1:$port/ (the page lists owners and pets). Try:
  curl http://127.0.0.1:$port/owners?include=pets
  curl -X POST http://127.0.0.1:$port/owners -H 'Content-Type: application/json' -d '{"name": "Cleo"}'
  curl -X POST http://127.0.0.1:$port/pets -H 'Content-Type: application/json' -d '{"name": "Nemo", "owner_id": 1}'

TRY
exec "$petshop" run --host 127.0.0.1 --port "$port"
