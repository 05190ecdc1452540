// Small helpers the migrate and app layers share.
#pragma once

#include <string>
#include <vector>

namespace retort::migrate::detail {

/// "a, b, c"
inline std::string join(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

/// Visits a variant with one lambda per alternative.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace retort::migrate::detail
