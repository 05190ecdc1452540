// Shared by the dialects' parse_type: one argument of a reflected type.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace retort::detail {

/// A type argument ("50" of VARCHAR(50)), spaces around it allowed; nothing
/// when it is no number or does not fit an int (std::stoi threw for those).
inline std::optional<int> type_argument(std::string_view part) {
  while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
  while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
  int value = 0;
  auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (part.empty() || part.front() == '-' || error != std::errc() || end != part.data() + part.size()) return std::nullopt;
  return value;
}

}  // namespace retort::detail
