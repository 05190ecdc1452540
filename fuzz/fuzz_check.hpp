// What every fuzz target checks besides "no crash": a failure the input can
// cause is a typed retort::Error; anything else escaping (std::out_of_range,
// a yaml-cpp exception, ...) and every broken property is a bug, reported on
// stderr and turned into an abort() so that libFuzzer saves the input.
#pragma once

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "retort/core/error.hpp"

namespace retort::fuzz {

/// `text` as a C++ string literal (printable bytes as themselves, the rest as \xNN), cut at 400 bytes.
inline std::string quoted(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < 400; ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u == '"' || u == '\\') {
      out += '\\';
      out += text[i];
    } else if (u >= 0x20 && u < 0x7f) {
      out += text[i];
    } else {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 15];
      // "\x01" "a" is not "\x1a": end the literal when a hex digit follows.
      if (i + 1 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1]))) out += "\"\"";
    }
  }
  out += text.size() > 400 ? "\"..." : "\"";
  return out;
}

/// Reports a broken property and aborts.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n==retort fuzz== property violated: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) std::fprintf(stderr, "%.*s\n", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

/// Checks a property; `detail` is only built when it fails.
#define RETORT_FUZZ_CHECK(condition, detail_expr)                                    \
  do {                                                                               \
    if (!(condition)) ::retort::fuzz::fail("CHECK(" #condition ")", (detail_expr)); \
  } while (0)

/// Runs `body`; returns true when it finished, false when it threw a
/// retort::Error, and aborts on any other exception.
template <class F>
bool only_retort_errors(std::string_view what, F&& body) {
  try {
    body();
    return true;
  } catch (const retort::Error&) {
    return false;
  } catch (const std::exception& e) {
    fail(std::string(what) + " threw a non-retort exception", std::string("what(): ") + e.what());
  } catch (...) {
    fail(std::string(what) + " threw something that is not a std::exception");
  }
}

}  // namespace retort::fuzz
