#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs the quickstart
# on the SQLite database named in examples/quickstart/.env.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh  # via bash: works even if the exec bit was lost
cmake --preset release
cmake --build --preset release

# The quickstart reads DATABASE_URL from the .env in its working directory.
cd examples/quickstart
../../build/release/examples/quickstart
