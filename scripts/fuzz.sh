#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer, ASan + UBSan) and runs each fuzz
# target for N seconds, one after another, on a copy of its seed corpus in
# fuzz/corpus/<target>/ (the committed corpus is only read). Fails when a target
# finds a crash or a broken property; the input that did it is kept under
# build/fuzz/crashes/. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/fuzz.sh [--seconds N] [target...]   (targets: url dotenv migration_file sql_type sql_compiler; default: all, 60 s each)"
seconds=60
targets=()
while (($#)); do
  case "$1" in
    --seconds)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
      seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
    *) targets+=("${1#fuzz_}"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cpp; do
    name=${f#fuzz/fuzz_}
    targets+=("${name%.cpp}")
  done
fi
for t in "${targets[@]}"; do
  [[ -f "fuzz/fuzz_$t.cpp" ]] || { echo "fuzz.sh: no fuzz target '$t' (fuzz/fuzz_$t.cpp)" >&2; exit 2; }
done

# The longest input worth trying, per target: beyond the largest seed, and
# small enough that each execution stays fast.
max_len() {
  case "$1" in
    url|sql_type) echo 1024 ;;
    dotenv) echo 4096 ;;
    migration_file) echo 8192 ;;
    *) echo 1024 ;;
  esac
}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2

work=$(mktemp -d "${TMPDIR:-/tmp}/retort-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
crashes=build/fuzz/crashes
# Leaks count as failures; UBSan already aborts (-fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$work/$t/corpus"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log="$work/$t/log"
  echo "==> fuzz_$t: ${seconds}s from $(ls "$corpus" | wc -l) seed inputs"
  status=0
  build/fuzz/fuzz/fuzz_"$t" "$corpus" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=25 \
    -print_final_stats=1 -artifact_prefix="$work/$t/" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  status_line=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")
  line="fuzz_$t: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}"
  if ((status != 0)); then
    mkdir -p "$crashes"
    # The artifact libFuzzer wrote (crash-*, leak-*, timeout-*, oom-*), kept outside the temp dir.
    for a in "$work/$t"/crash-* "$work/$t"/leak-* "$work/$t"/timeout-* "$work/$t"/oom-*; do
      [[ -e "$a" ]] && cp "$a" "$crashes/${t}_$(basename "$a")" && line+=", input kept in $crashes/${t}_$(basename "$a")"
    done
    echo "---- fuzz_$t failed (exit $status); the end of its log:"
    grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse|INITED|RELOAD)|NEW_FUNC' "$log" | tail -n 40
    echo "----"
    failed+=("$t")
    line+="  FAILED"
  fi
  echo "$line"
  summary+=("$line")
done

echo "==> fuzz summary (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}; reproduce with build/fuzz/fuzz/fuzz_<target> <input> (docs/fuzzing.md)" >&2
  exit 1
fi
