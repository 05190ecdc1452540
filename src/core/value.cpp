// Value accessors and the text forms of dates, times, decimals and UUIDs.
// Dates and times use SQLAlchemy's SQLite storage format so files written by
// either library read back in the other.
#include "retort/core/value.hpp"

#include <charconv>
#include <cstdio>

#include "retort/core/error.hpp"

namespace retort {

namespace {

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::null: return "NULL";
    case Value::Kind::boolean: return "boolean";
    case Value::Kind::integer: return "integer";
    case Value::Kind::real: return "real";
    case Value::Kind::text: return "text";
    case Value::Kind::bytes: return "bytes";
  }
  return "?";
}

[[noreturn]] void wrong_kind(const Value& v, const char* wanted) {
  throw ArgumentError(std::string("expected a ") + wanted + " value, got " + kind_name(v.kind()) + " " + v.repr());
}

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

bool Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i != 0;
  wrong_kind(*this, "boolean");
}

std::int64_t Value::as_int() const {
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (auto* b = std::get_if<bool>(&v_)) return *b ? 1 : 0;
  if (auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && p == s->data() + s->size()) return out;
  }
  wrong_kind(*this, "integer");
}

double Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) {
    try {
      std::size_t used = 0;
      double d = std::stod(*s, &used);
      if (used == s->size()) return d;
    } catch (const std::exception&) {
    }
  }
  wrong_kind(*this, "real");
}

const std::string& Value::as_text() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  wrong_kind(*this, "text");
}

const Bytes& Value::as_bytes() const {
  if (auto* b = std::get_if<Bytes>(&v_)) return *b;
  wrong_kind(*this, "bytes");
}

std::string Value::repr(std::size_t max_len) const {
  switch (kind()) {
    case Kind::null: return "None";
    case Kind::boolean: return std::get<bool>(v_) ? "True" : "False";
    case Kind::integer: return std::to_string(std::get<std::int64_t>(v_));
    case Kind::real: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v_));
      return buf;
    }
    case Kind::text: {
      auto& s = std::get<std::string>(v_);
      if (s.size() <= max_len) return "'" + s + "'";
      return "'" + s.substr(0, max_len) + "'... (" + std::to_string(s.size()) + " characters)";
    }
    case Kind::bytes: return "<" + std::to_string(std::get<Bytes>(v_).size()) + " bytes>";
  }
  return "?";
}

Decimal::Decimal(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  auto dot = digits.find('.');
  auto whole = digits.substr(0, dot);
  bool ok = all_digits(whole) && (dot == std::string_view::npos || all_digits(digits.substr(dot + 1)));
  if (!ok) bad_text("Decimal", text, "digits with an optional sign and decimal point, like -12.50");
  text_ = (text[0] == '-' ? "-" : "") + std::string(digits);
}

Decimal ValueTraits<Decimal>::from_value(const Value& v) {
  if (v.kind() == Value::Kind::integer) return Decimal(std::to_string(v.as_int()));
  if (v.kind() == Value::Kind::real) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.15g", v.as_double());
    return Decimal(buf);
  }
  return Decimal(v.as_text());
}

Uuid Uuid::parse(std::string_view text) {
  std::string hex;
  for (char c : text)
    if (c != '-') hex += c;
  bool dashed_ok = text.size() == 32 ||
                   (text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-');
  if (hex.size() != 32 || !dashed_ok) bad_text("UUID", text, "32 hex digits, optionally as 8-4-4-4-12");
  Uuid u;
  for (int i = 0; i < 16; ++i) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + 2 * i + 2) bad_text("UUID", text, "hex digits 0-9a-f");
    u.bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v);
  }
  return u;
}

std::string Uuid::str() const {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::string to_iso(std::chrono::year_month_day d) {
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
