#!/usr/bin/env bash
# Builds and tests retort: the release preset (optimised, -Werror), its core and
# ORM tests again under valgrind, and the asan preset (AddressSanitizer +
# UBSan), then fuzzes each fuzz target for 60 s (scripts/fuzz.sh;
# RETORT_FUZZ_SECONDS changes it). `--preset NAME` runs only that preset,
# `--preset fuzz` only the fuzzing, `--no-fuzz` skips it. The
# tests run beside a throwaway PostgreSQL server (scripts/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

original_args=("$@")
presets=(release asan)
fuzz=1
set_preset() {
  if [[ "$1" == fuzz ]]; then
    presets=()
    fuzz=1
  else
    presets=("$1")
    fuzz=0
  fi
}
while (($#)); do
  case "$1" in
    --preset)
      [[ $# -ge 2 ]] || { echo "test.sh: --preset needs a name" >&2; exit 2; }
      set_preset "$2"; shift 2 ;;
    --preset=*) set_preset "${1#--preset=}"; shift ;;
    --no-fuzz) fuzz=0; shift ;;
    -h|--help) echo "usage: scripts/test.sh [--preset release|asan|dev|fuzz] [--no-fuzz]"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# timed LABEL CMD...: runs CMD, then prints its wall time (also on failure,
# so a slow failing step is visible), and returns CMD's status.
timed() {
  local label=$1; shift
  local start=$SECONDS status=0
  "$@" || status=$?
  echo "==> $label: $((SECONDS - start))s (exit $status)"
  return "$status"
}

bash scripts/setup.sh  # via bash: works even if the exec bit was lost

# Once, around everything: the PostgreSQL tests need a server (fuzzing does not).
if ((${#presets[@]})) && [[ -z "${RETORT_TEST_POSTGRES_URL:-}" ]]; then
  exec bash scripts/with-postgres.sh bash scripts/test.sh "${original_args[@]}"
fi

# Valgrind's memcheck over the core and ORM test programs of the release build
# (an ASan build cannot run under valgrind): any error or definite leak fails.
valgrind_tests() {
  local status=0 t
  for t in core_tests orm_tests orm_mapping_error_tests; do
    echo "==> valgrind $t"
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      "build/release/tests/$t" --gtest_brief=1 || status=$?
  done
  return "$status"
}

for p in "${presets[@]}"; do
  echo "==> preset $p"
  cmake --preset "$p"
  # Ninja prints one line per compiled file: enough to follow, not a flood.
  timed "build $p" cmake --build --preset "$p" -j2
  timed "ctest $p" ctest --preset "$p" -j2 --output-on-failure -LE replica
  # The replica tests need a streaming replica beside the server: a cluster of their own.
  timed "ctest $p (replica)" bash scripts/with-postgres.sh --replica ctest --preset "$p" --output-on-failure -L replica
  if [[ $p == release ]]; then timed "valgrind (core, orm)" valgrind_tests; fi
done
if ((fuzz)); then
  timed "fuzz" bash scripts/fuzz.sh --seconds "${RETORT_FUZZ_SECONDS:-60}"
  presets+=(fuzz)
fi
echo "==> all presets passed: ${presets[*]}"
