// Url::parse on arbitrary bytes. Properties: only ConfigError may be thrown;
// a parsed URL rendered with its password (render(false)) parses back to an
// equal URL; rendered without it (render()) it parses back with "***".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "retort/core/url.hpp"

namespace {

using retort::Url;
using retort::fuzz::quoted;

std::string show(const Url& u) {
  std::string out = "dialect=" + quoted(u.dialect) + " driver=" + quoted(u.driver);
  out += " username=" + (u.username ? quoted(*u.username) : "none");
  out += " password=" + (u.password ? quoted(*u.password) : "none");
  out += " host=" + quoted(u.host) + " port=" + (u.port ? std::to_string(*u.port) : "none");
  out += " database=" + quoted(u.database) + " query=[";
  for (auto& [k, v] : u.query) out += quoted(k) + "=" + quoted(v) + " ";
  return out + "]";
}

bool same(const Url& a, const Url& b) {
  return a.dialect == b.dialect && a.driver == b.driver && a.username == b.username && a.password == b.password &&
         a.host == b.host && a.port == b.port && a.database == b.database && a.query == b.query;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<Url> url;
  retort::fuzz::only_retort_errors("Url::parse", [&] { url = Url::parse(text); });
  if (!url) return 0;

  std::string rendered = url->render(false);
  std::optional<Url> again;
  bool parsed = retort::fuzz::only_retort_errors("Url::parse of a rendered URL", [&] { again = Url::parse(rendered); });
  RETORT_FUZZ_CHECK(parsed, "input:    " + quoted(text) + "\nrendered: " + quoted(rendered) + "\nparsed:   " + show(*url));
  RETORT_FUZZ_CHECK(same(*url, *again), "input:    " + quoted(text) + "\nrendered: " + quoted(rendered) +
                                            "\nparsed:   " + show(*url) + "\nre-parsed: " + show(*again));
  RETORT_FUZZ_CHECK(url->render(false) == again->render(false), "rendering is not stable: " + quoted(rendered));

  std::string hidden = url->render();
  std::optional<Url> masked;
  parsed = retort::fuzz::only_retort_errors("Url::parse of a masked URL", [&] { masked = Url::parse(hidden); });
  RETORT_FUZZ_CHECK(parsed, "input: " + quoted(text) + "\nmasked: " + quoted(hidden));
  if (url->password) {
    RETORT_FUZZ_CHECK(masked->password == std::string("***"), "masked: " + quoted(hidden));
  }

  (void)url->is_memory();
  if (!url->query.empty()) {
    RETORT_FUZZ_CHECK(url->query_value(url->query.back().first) == url->query.back().second,
                      "query_value of the last key: " + show(*url));
  }
  return 0;
}
