// parse_dotenv and expand_dotenv on arbitrary bytes. Properties: only
// ConfigError may be thrown; entries come in line order, within the text; the
// entries written back as quoted `'KEY'="value"` lines parse to the same
// entries; expansion never throws.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "retort/core/config.hpp"

namespace {

using retort::DotenvEntry;
using retort::fuzz::quoted;

std::string show(const std::vector<DotenvEntry>& entries) {
  std::string out;
  for (auto& e : entries) {
    out += std::to_string(e.line) + ": " + quoted(e.key) + (e.value ? " = " + quoted(*e.value) : " (no value)") + "\n";
  }
  return out;
}

/// One entry as a line that must parse back to it: the name in single quotes
/// unless it holds one (then it came unquoted, so it needs none), the value
/// in double quotes with `\` and `"` escaped.
std::string write(const DotenvEntry& e) {
  std::string line = e.key.find('\'') == std::string::npos ? "'" + e.key + "'" : e.key;
  if (!e.value) return line + "\n";
  line += "=\"";
  for (char c : *e.value) {
    if (c == '\\' || c == '"') line += '\\';
    line += c;
  }
  return line + "\"\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<DotenvEntry> entries;
  if (!retort::fuzz::only_retort_errors("parse_dotenv", [&] { entries = retort::parse_dotenv(text, "fuzz.env"); })) {
    return 0;
  }

  // Lines: 1-based, in order, no further than the text's last line.
  int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n') + std::count(text.begin(), text.end(), '\r'));
  int previous = 1;
  for (auto& e : entries) {
    RETORT_FUZZ_CHECK(e.line >= previous && e.line <= lines, "input: " + quoted(text) + "\nentries:\n" + show(entries));
    RETORT_FUZZ_CHECK(!e.key.empty(), "input: " + quoted(text) + "\nentries:\n" + show(entries));
    previous = e.line;
  }

  std::string written;
  for (auto& e : entries) written += write(e);
  std::vector<DotenvEntry> again;
  bool parsed = retort::fuzz::only_retort_errors("parse_dotenv of written entries",
                                                 [&] { again = retort::parse_dotenv(written, "written.env"); });
  RETORT_FUZZ_CHECK(parsed, "input: " + quoted(text) + "\nwritten: " + quoted(written));
  bool same = again.size() == entries.size();
  for (std::size_t i = 0; same && i < entries.size(); ++i) {
    same = again[i].key == entries[i].key && again[i].value == entries[i].value;
  }
  RETORT_FUZZ_CHECK(same, "input: " + quoted(text) + "\nwritten: " + quoted(written) + "\nentries:\n" + show(entries) +
                              "re-parsed:\n" + show(again));

  std::map<std::string, std::string> environment{{"HOME", "fuzz-home"}, {"A", "${A}"}};
  retort::fuzz::only_retort_errors("expand_dotenv", [&] { (void)retort::expand_dotenv(entries, environment); });
  return 0;
}
