// An LD_PRELOAD library for `bench/run.sh --callgrind`: makes callgrind count
// only the timed part of a benchmark program, whatever the compiler inlined.
//
// Every benchmark program brackets its timed part with two calls of
// std::chrono::steady_clock::now() (or system_clock::now()), made from the
// program's own functions (its `timed(...)` helper, usually inlined into the
// workload function). Both are libstdc++ functions, reached through the PLT,
// so this library's definitions replace them. Each call checks its return
// address: when it lies in one of the address ranges listed in the file named
// by CALLGRIND_TIMED_RANGES (the program's own functions, from `nm`, as
// offsets from the executable's load address; see bench/compare.py), it
// toggles callgrind's collection. Run under `valgrind --tool=callgrind
// --collect-atstart=no`, the first such call switches counting on and the
// second switches it off. Calls from elsewhere (retort's statement timing,
// the pool) only read the clock.
//
// At exit it prints `callgrind_timed: toggles=K` to stderr; compare.py accepts
// the measurement only when K is 2 per workload run.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <link.h>
#include <valgrind/callgrind.h>

namespace {

struct Range {
  std::uintptr_t lo, hi;
};

struct State {
  bool loaded = false;
  std::uintptr_t base = 0;
  std::vector<Range> ranges;
  int toggles = 0;
};

State& state() {
  static State s;
  return s;
}

int first_object(dl_phdr_info* info, std::size_t, void* out) {
  *static_cast<std::uintptr_t*>(out) = info->dlpi_addr;  // the first object is the executable
  return 1;
}

void load(State& s) {
  s.loaded = true;
  dl_iterate_phdr(first_object, &s.base);
  const char* path = std::getenv("CALLGRIND_TIMED_RANGES");
  if (!path) return;
  if (std::FILE* f = std::fopen(path, "r")) {
    unsigned long long lo = 0, hi = 0;
    while (std::fscanf(f, "%llx %llx", &lo, &hi) == 2) s.ranges.push_back({lo, hi});
    std::fclose(f);
  }
}

void on_clock_read(void* return_address) {
  State& s = state();
  if (!s.loaded) load(s);
  auto offset = reinterpret_cast<std::uintptr_t>(return_address) - s.base;
  for (const Range& r : s.ranges) {
    if (offset > r.lo && offset <= r.hi) {
      ++s.toggles;
      CALLGRIND_TOGGLE_COLLECT;
      return;
    }
  }
}

std::int64_t read_clock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Report {
  ~Report() { std::fprintf(stderr, "callgrind_timed: toggles=%d\n", state().toggles); }
} report;

}  // namespace

// The definitions libstdc++ exports (std::chrono::_V2::*::now), as libstdc++ computes them.
std::chrono::steady_clock::time_point std::chrono::steady_clock::now() noexcept {
  on_clock_read(__builtin_return_address(0));
  return time_point(std::chrono::nanoseconds(read_clock(CLOCK_MONOTONIC)));
}

std::chrono::system_clock::time_point std::chrono::system_clock::now() noexcept {
  on_clock_read(__builtin_return_address(0));
  return time_point(std::chrono::nanoseconds(read_clock(CLOCK_REALTIME)));
}
