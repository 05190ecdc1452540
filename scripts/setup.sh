#!/usr/bin/env bash
# Installs the Debian 12 packages retort needs, only those that are missing.
# Idempotent and silent when everything is already installed.
set -euo pipefail

# The one list of what the project needs: the toolchain, the libraries,
# postgresql (the server the tests start), chromium (the headless browser
# the example app's page is tested in), python3 and curl (the scripts'
# free-port and health checks), what bench/run.sh compares retort with:
# Debian's SQLAlchemy 1.4 with its C extensions, valgrind (--callgrind) and
# GNU time (peak memory), and clang 14 with its runtime libraries (libFuzzer
# and the sanitizers) for the fuzz preset (scripts/fuzz.sh).
PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config git ca-certificates clang libclang-rt-14-dev
  libsqlite3-dev sqlite3 libpq-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libfmt-dev libyaml-cpp-dev libcli11-dev libcpp-httplib-dev libbenchmark-dev
  postgresql chromium python3 curl
  python3-sqlalchemy python3-sqlalchemy-ext valgrind time
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg-query fails for unknown packages; that also counts as missing.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup.sh: apt-get not found; retort's scripts target Debian 12." >&2
  echo "Install these packages by hand: ${missing[*]}" >&2
  exit 1
fi

# Root runs apt-get directly; anyone else needs sudo.
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup.sh: missing packages: ${missing[*]}" >&2
  echo "setup.sh: not root and sudo is not installed; run this script as root." >&2
  exit 1
fi

echo "setup.sh: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -q
# noninteractive: CI has no stdin (tzdata and friends would otherwise prompt).
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
