// Values as they travel between C++ and the database.
//
// `Value` is the small set of storage forms a driver binds and returns (null,
// bool, integer, real, text, bytes). `ValueTraits<T>` converts each supported C++
// type to and from that form: decimals and UUIDs as text, nullable columns as
// `std::optional<T>`. Dates and times (retort/core/datetime.hpp) and JSON
// (retort/core/json.hpp) are opt-in headers: <chrono> and nlohmann/json.hpp
// are heavy to compile, and most translation units need neither.
#pragma once

#include <array>
#include <compare>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "retort/core/types.hpp"

namespace retort {

/// Binary data (LargeBinary columns).
using Bytes = std::vector<unsigned char>;

/// A decimal number kept exactly, as its canonical text ("-12.50").
class Decimal {
 public:
  Decimal() : text_("0") {}
  /// Throws ArgumentError unless `text` is `[-+]?digits[.digits]`.
  explicit Decimal(std::string_view text);
  const std::string& str() const noexcept { return text_; }
  auto operator<=>(const Decimal&) const = default;

 private:
  std::string text_;
};

/// A UUID; text form is the canonical 36-character lowercase form.
struct Uuid {
  std::array<unsigned char, 16> bytes{};
  /// Accepts 32 hex digits with or without the four dashes; throws ArgumentError otherwise.
  static Uuid parse(std::string_view text);
  std::string str() const;
  auto operator<=>(const Uuid&) const = default;
};

/// One bound or fetched value.
class Value {
 public:
  enum class Kind : unsigned char { null, boolean, integer, real, text, bytes };
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(std::nullopt_t) {}
  Value(bool b) : v_(b) {}
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  Value(I i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(float f) : v_(static_cast<double>(f)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}

  Kind kind() const noexcept { return static_cast<Kind>(v_.index()); }
  bool is_null() const noexcept { return v_.index() == 0; }
  const Storage& storage() const noexcept { return v_; }

  // Checked accessors: throw ArgumentError naming the kind found.
  bool as_bool() const;  ///< bool, or integer 0/1
  std::int64_t as_int() const;
  double as_double() const;  ///< real or integer
  const std::string& as_text() const;
  const Bytes& as_bytes() const;

  /// A short printable form for logs and error messages ('text' quoted, bytes as length).
  std::string repr(std::size_t max_len = 80) const;

  friend bool operator==(const Value&, const Value&) = default;
  /// Orders by kind, then value (identity maps with composite keys).
  friend std::partial_ordering operator<=>(const Value&, const Value&) = default;

 private:
  Storage v_;
};

/// Parameters as a log or an error message shows them: "(1, 'Ann')", the
/// first ten, each cut at `max_len` characters.
std::string repr(std::span<const Value> params, std::size_t max_len = 80);

/// Named parameters for statements with `:name` / bindparam placeholders.
using Params = std::vector<std::pair<std::string, Value>>;

/// Converts a C++ type to and from its storage form, and names the column type
/// a member of that type maps to by default. Specialised below for every
/// supported column type; datetime.hpp and json.hpp add more.
template <class T>
struct ValueTraits;

template <std::integral I>
  requires(!std::same_as<I, bool>)
struct ValueTraits<I> {
  static SqlType sql_type() { return Integer(); }

  static Value to_value(I v) { return Value(static_cast<std::int64_t>(v)); }
  static I from_value(const Value& v) { return static_cast<I>(v.as_int()); }
};
template <>
struct ValueTraits<bool> {
  static SqlType sql_type() { return Boolean(); }

  static Value to_value(bool v) { return Value(v); }
  static bool from_value(const Value& v) { return v.as_bool(); }
};
template <std::floating_point F>
struct ValueTraits<F> {
  static SqlType sql_type() { return Float(); }

  static Value to_value(F v) { return Value(static_cast<double>(v)); }
  static F from_value(const Value& v) { return static_cast<F>(v.as_double()); }
};
template <>
struct ValueTraits<std::string> {
  static SqlType sql_type() { return String(); }

  static Value to_value(const std::string& v) { return Value(v); }
  static std::string from_value(const Value& v) { return v.as_text(); }
};
template <>
struct ValueTraits<Bytes> {
  static SqlType sql_type() { return LargeBinary(); }

  static Value to_value(const Bytes& v) { return Value(v); }
  static Bytes from_value(const Value& v) { return v.as_bytes(); }
};
template <>
struct ValueTraits<Decimal> {
  static SqlType sql_type() { return Numeric(); }

  static Value to_value(const Decimal& v) { return Value(v.str()); }
  static Decimal from_value(const Value& v);
};
template <>
struct ValueTraits<Uuid> {
  static SqlType sql_type() { return UUID(); }

  static Value to_value(const Uuid& v) { return Value(v.str()); }
  static Uuid from_value(const Value& v) { return Uuid::parse(v.as_text()); }
};
template <class T>
struct ValueTraits<std::optional<T>> {
  static SqlType sql_type() { return ValueTraits<T>::sql_type(); }

  static Value to_value(const std::optional<T>& v) { return v ? ValueTraits<T>::to_value(*v) : Value(); }
  static std::optional<T> from_value(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return ValueTraits<T>::from_value(v);
  }
};

/// Whether `T` can be bound and fetched.
template <class T>
concept Storable = requires(const T& t, const Value& v) {
  { ValueTraits<T>::to_value(t) } -> std::convertible_to<Value>;
  { ValueTraits<T>::from_value(v) } -> std::convertible_to<T>;
};

/// Converts any storable C++ value to a Value.
template <Storable T>
Value to_value(const T& v) {
  return ValueTraits<T>::to_value(v);
}

}  // namespace retort
