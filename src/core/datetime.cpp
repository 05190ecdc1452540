// Dates and times as ISO 8601 text, in SQLAlchemy's SQLite storage format.
#include "retort/core/datetime.hpp"

#include <charconv>
#include <cstdio>

#include "retort/core/error.hpp"

namespace retort {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

[[noreturn]] void bad_text(const char* what, std::string_view text, const char* expected) {
  throw ArgumentError(std::string("cannot read '") + std::string(text) + "' as a " + what + ": expected " + expected);
}

// Parses "HH:MM:SS[.ffffff]" into microseconds since midnight; false when malformed.
bool parse_clock(std::string_view t, std::chrono::microseconds& out) {
  if (t.size() < 8 || t[2] != ':' || t[5] != ':') return false;
  auto hh = t.substr(0, 2), mm = t.substr(3, 2), ss = t.substr(6, 2);
  if (!all_digits(hh) || !all_digits(mm) || !all_digits(ss)) return false;
  int h = to_int(hh), m = to_int(mm), s = to_int(ss);
  if (h > 23 || m > 59 || s > 60) return false;
  long long micros = 0;
  if (t.size() > 8) {
    if (t[8] != '.') return false;
    auto frac = t.substr(9);
    if (frac.empty() || frac.size() > 9 || !all_digits(frac)) return false;
    std::string six(frac.substr(0, std::min<std::size_t>(6, frac.size())));
    six.resize(6, '0');
    micros = std::stoll(six);
  }
  out = std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(s) + std::chrono::microseconds(micros);
  return true;
}

std::string clock_text(std::chrono::microseconds since_midnight) {
  auto us = since_midnight.count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%06lld", us / 3600000000LL, us / 60000000LL % 60,
                us / 1000000LL % 60, us % 1000000LL);
  return buf;
}

}  // namespace

std::string to_iso(std::chrono::year_month_day d) {
  if (!d.ok())
    throw ArgumentError("a date member holds no calendar date (a default-constructed year_month_day?); "
                        "give it a date, or declare it std::optional to store NULL");
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

std::string to_iso(Timestamp t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  return to_iso(std::chrono::year_month_day(day)) + " " + clock_text(t - day);
}

std::string to_iso(TimeOfDay t) { return clock_text(t.since_midnight); }

std::chrono::year_month_day parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
      !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2)))
    bad_text("date", text, "YYYY-MM-DD");
  std::chrono::year_month_day d{std::chrono::year(to_int(text.substr(0, 4))),
                                std::chrono::month(static_cast<unsigned>(to_int(text.substr(5, 2)))),
                                std::chrono::day(static_cast<unsigned>(to_int(text.substr(8, 2))))};
  if (!d.ok()) bad_text("date", text, "a real calendar date");
  return d;
}

Timestamp parse_timestamp(std::string_view text) {
  if (text.size() < 10) bad_text("timestamp", text, "YYYY-MM-DD HH:MM:SS[.ffffff]");
  auto date = parse_date(text.substr(0, 10));
  std::chrono::microseconds clock{0};
  auto rest = text.substr(10);
  if (!rest.empty()) {
    if (rest[0] != ' ' && rest[0] != 'T') bad_text("timestamp", text, "a space or 'T' between date and time");
    rest.remove_prefix(1);
    if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
    if (rest.size() >= 6 && (rest.substr(rest.size() - 6) == "+00:00")) rest.remove_suffix(6);
    if (!parse_clock(rest, clock)) bad_text("timestamp", text, "YYYY-MM-DD HH:MM:SS[.ffffff]");
  }
  return std::chrono::sys_days(date) + clock;
}

TimeOfDay parse_time(std::string_view text) {
  std::chrono::microseconds clock{0};
  if (!parse_clock(text, clock)) bad_text("time", text, "HH:MM:SS[.ffffff]");
  return TimeOfDay{clock};
}

}  // namespace retort
