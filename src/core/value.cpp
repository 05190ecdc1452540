// Value accessors and the text forms of decimals and UUIDs.
#include "retort/core/value.hpp"

#include <algorithm>
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

[[noreturn]] void bad_text(const char* what, std::string_view text, const char* expected) {
  throw ArgumentError(std::string("cannot read '") + std::string(text) + "' as a " + what + ": expected " + expected);
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

std::string repr(std::span<const Value> params, std::size_t max_len) {
  std::string out = "(";
  std::size_t shown = std::min<std::size_t>(params.size(), 10);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + params[i].repr(max_len);
  if (params.size() > shown) out += ", ... " + std::to_string(params.size() - shown) + " more";
  if (params.size() == 1) out += ",";
  return out + ")";
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

}  // namespace retort
