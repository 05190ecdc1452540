// The test process's own memory, for tests that show a bound on it.
#pragma once

namespace retort::testing {

/// Resident set size in KiB, from /proc/self/status (-1 when unreadable).
long rss_kib();

}  // namespace retort::testing
