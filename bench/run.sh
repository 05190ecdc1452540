#!/usr/bin/env bash
# retort's performance benchmark: retort (bench/retort_bench) against the raw
# sqlite3 baseline (bench/baselines/raw_sqlite.cpp) and SQLAlchemy's ORM
# (bench/baselines/sqlalchemy_orm.py), all printing the same line per workload.
#
#   bench/run.sh                     # N = 1,000 and 10,000 (insert also 100,000), 5 repetitions
#   bench/run.sh --quick             # N = 1,000 only, 5 repetitions
#   bench/run.sh --json FILE         # also write the table as JSON (a list of row objects)
#   bench/run.sh --anchors DIR       # DIR/raw_sqlite.cpp and DIR/sqlalchemy_orm.py replace the baselines
#   bench/run.sh --callgrind WORKLOAD   # instruction counts of retort and raw at N = 1,000
#   bench/run.sh --no-index          # the programs' --no-index (no foreign-key indexes)
#   bench/run.sh --no-build          # use the binaries already built (no setup.sh, no cmake)
#
# It installs what is missing (scripts/setup.sh: SQLAlchemy 1.4 with its C
# extensions, valgrind, GNU time), builds the release preset's retort_bench and
# raw_sqlite_baseline, then bench/compare.py runs the three programs one after
# the other for each workload and repetition, rotating their order from one
# repetition to the next so drift of the machine hits all alike. It prints one
# table of medians (retort s, raw s, SQLAlchemy s, retort/raw, SQLAlchemy/retort,
# statements of each) with each row's target (retort/raw <= 1.10 for insert,
# get_by_pk, update; <= 1.25 for the others; SQLAlchemy/retort >= 0.8 x
# SQLAlchemy/raw) and, with two sizes, the growth check (retort's 10k/1k time
# ratio at most 10 % above raw's). It then reports the peak memory per loaded
# object of retort and raw (max RSS of `selectin` at N = 1,000 and 10,000, from
# GNU time; the difference divided by the difference of the 11N objects) and
# the compile time of the models translation unit (bench/bench_models.cpp, with
# the build's own command from compile_commands.json). It exits 1 when any
# row's programs disagree on checksum, rows, bytes or statements; missed
# targets are reported, not failed. SQLAlchemy runs the insert row at
# N = 100,000 only BIG_SQLA_REPS times (default 1; about two minutes per run).
# Other settings: REPS, SIZES, WORKLOADS, BIG_INSERT, MEM_SIZES, MEM_REPS,
# COMPILE_REPS, PYTHON (see bench/compare.py).
#
# --callgrind WORKLOAD runs retort_bench and the raw baseline under
# `valgrind --tool=callgrind` at N = 1,000 (CALLGRIND_N) and counts the
# instructions of the timed part only. `--toggle-collect='*timed*'` is not
# reliable: a program's timed(...) template may be inlined into the workload
# function, and then there is no function to toggle on (today retort_bench's
# are out of line, but the raw baseline's Run::timed is inlined everywhere, so
# '*timed*' counts 0 instructions for it). What every program does call is
# std::chrono::steady_clock::now() at the start and the end of its timed part.
# bench/callgrind_timed.cpp, compiled here into an LD_PRELOAD library, replaces
# libstdc++'s now() and toggles callgrind's collection (which starts off) when
# the caller is one of the program's own functions (from `nm`: its anonymous
# namespace, global functions, main) -- not retort's per-statement timing. The
# run is accepted only if exactly two such calls happened; the totals are then
# the timed part's instructions (plus the few of one clock read), with setup and
# verification excluded whatever the compiler inlined. The profiles stay in
# build/release/bench/callgrind/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=() json=() anchors="" callgrind="" build=1 no_index=()
while (($#)); do
  case "$1" in
    --quick) quick=(--quick); shift ;;
    --json) [[ $# -ge 2 ]] || { echo "run.sh: --json needs a file" >&2; exit 2; }
      json=(--json "$2"); shift 2 ;;
    --anchors) [[ $# -ge 2 ]] || { echo "run.sh: --anchors needs a directory" >&2; exit 2; }
      anchors=$(cd "$2" && pwd); shift 2 ;;
    --callgrind) [[ $# -ge 2 ]] || { echo "run.sh: --callgrind needs a workload" >&2; exit 2; }
      callgrind=$2; shift 2 ;;
    --no-index) no_index=(--no-index); shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

bin=build/release/bench
targets=(retort_bench)
[[ -n "$anchors" ]] || targets+=(raw_sqlite_baseline)
if ((build)); then
  bash scripts/setup.sh
  [[ -f build/release/build.ninja ]] || cmake --preset release
  cmake --build --preset release --target "${targets[@]}"
fi

retort=$bin/retort_bench
if [[ -n "$anchors" ]]; then
  raw=$bin/anchors/raw_sqlite
  sqlalchemy=$anchors/sqlalchemy_orm.py
  if ((build)) || [[ ! -x $raw ]]; then
    mkdir -p "$bin/anchors"
    g++ -std=c++20 -O2 "$anchors/raw_sqlite.cpp" -lsqlite3 -o "$raw"
  fi
else
  raw=$bin/raw_sqlite_baseline
  sqlalchemy=bench/baselines/sqlalchemy_orm.py
fi

if [[ -n "$callgrind" ]]; then
  command -v valgrind >/dev/null || { echo "run.sh: valgrind is missing (scripts/setup.sh installs it)" >&2; exit 2; }
  g++ -std=c++20 -O2 -shared -fPIC bench/callgrind_timed.cpp -o "$bin/callgrind_timed.so"
  exec python3 bench/compare.py callgrind --workload "$callgrind" --n "${CALLGRIND_N:-1000}" \
    --shim "$bin/callgrind_timed.so" --out-dir "$bin/callgrind" \
    --program "retort=$retort" --program "raw=$raw"
fi

exec python3 bench/compare.py run --retort "$retort" --raw "$raw" --sqlalchemy "$sqlalchemy" \
  --compile-commands build/release/compile_commands.json --models-tu bench/bench_models.cpp \
  "${quick[@]}" "${json[@]}" "${no_index[@]}"
