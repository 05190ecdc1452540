// Regression tests for what the fuzz targets in fuzz/ found (docs/fuzzing.md):
// one test per bug, named after what was wrong; the input that found it is in
// fuzz/corpus/<target>/crash_*.
#include <gtest/gtest.h>

#include <string>

#include "retort/core/url.hpp"

namespace r = retort;

namespace {

// ---- fuzz_url -----------------------------------------------------------------------------

// crash_ipv6_zone_without_colon: "[e2%]" is a bracketed host with a zone but
// no ':'; render() wrote it without brackets, and '%' is no host character.
TEST(FuzzUrl, BracketedHostWithoutColonRendersInBrackets) {
  auto u = r::Url::parse("ej://[e2%eth0]/db");
  EXPECT_EQ(u.host, "e2%eth0");
  EXPECT_EQ(u.render(), "ej://[e2%eth0]/db");
  EXPECT_EQ(r::Url::parse(u.render()).host, u.host);
  EXPECT_EQ(r::Url::parse("postgresql://[::1]:5432/db").render(), "postgresql://[::1]:5432/db");
  EXPECT_EQ(r::Url::parse("postgresql://[127.0.0.1]/db").render(), "postgresql://127.0.0.1/db");
}

}  // namespace
