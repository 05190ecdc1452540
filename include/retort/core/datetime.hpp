// Date, DateTime and Time columns as std::chrono types, stored as ISO 8601
// text in SQLAlchemy's SQLite format ("2024-02-29 13:05:00.000250"), so files
// written by either library read back in the other. Opt-in: <chrono> is heavy.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "retort/core/value.hpp"

namespace retort {

/// A point in time with microsecond precision (DateTime columns); naive unless the column says otherwise.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// A time of day with microsecond precision (Time columns).
struct TimeOfDay {
  std::chrono::microseconds since_midnight{};
  auto operator<=>(const TimeOfDay&) const = default;
};

std::string to_iso(std::chrono::year_month_day d);  ///< "2024-02-29"
std::string to_iso(Timestamp t);                    ///< "2024-02-29 13:05:00.000250"
std::string to_iso(TimeOfDay t);                    ///< "13:05:00.000250"
/// Each throws ArgumentError naming the expected form.
std::chrono::year_month_day parse_date(std::string_view text);
Timestamp parse_timestamp(std::string_view text);  ///< ' ' or 'T' between date and time; optional fraction, 'Z', '+00:00'
TimeOfDay parse_time(std::string_view text);

template <>
struct ValueTraits<std::chrono::year_month_day> {
  static SqlType sql_type() { return Date(); }

  static Value to_value(std::chrono::year_month_day v) { return Value(to_iso(v)); }
  static std::chrono::year_month_day from_value(const Value& v) { return parse_date(v.as_text()); }
};
template <>
struct ValueTraits<Timestamp> {
  static SqlType sql_type() { return DateTime(); }

  static Value to_value(Timestamp v) { return Value(to_iso(v)); }
  static Timestamp from_value(const Value& v) { return parse_timestamp(v.as_text()); }
};
template <>
struct ValueTraits<TimeOfDay> {
  static SqlType sql_type() { return Time(); }

  static Value to_value(TimeOfDay v) { return Value(to_iso(v)); }
  static TimeOfDay from_value(const Value& v) { return parse_time(v.as_text()); }
};

}  // namespace retort
