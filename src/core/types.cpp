// SqlType comparison and description, shared by every dialect.
#include "retort/core/types.hpp"

#include <charconv>
#include <limits>

#include "retort/core/error.hpp"

namespace retort {

SqlType::SqlType() = default;
SqlType::SqlType(const SqlType&) = default;
SqlType::SqlType(SqlType&&) noexcept = default;
SqlType& SqlType::operator=(const SqlType&) = default;
SqlType& SqlType::operator=(SqlType&&) noexcept = default;
SqlType::~SqlType() = default;

bool SqlType::same_as(const SqlType& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case TypeKind::string: return length == o.length;
    case TypeKind::numeric: return precision == o.precision && scale == o.scale;
    case TypeKind::date_time: return timezone == o.timezone;
    case TypeKind::enumeration: return enum_values == o.enum_values;
    case TypeKind::unknown: return raw == o.raw;
    default: return true;
  }
}

std::string SqlType::describe() const {
  switch (kind) {
    case TypeKind::integer: return "Integer()";
    case TypeKind::big_integer: return "BigInteger()";
    case TypeKind::small_integer: return "SmallInteger()";
    case TypeKind::string: return length ? "String(" + std::to_string(*length) + ")" : "String()";
    case TypeKind::text: return "Text()";
    case TypeKind::boolean: return "Boolean()";
    case TypeKind::floating: return "Float()";
    case TypeKind::numeric: return "Numeric(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
    case TypeKind::date: return "Date()";
    case TypeKind::date_time: return timezone ? "DateTime(true)" : "DateTime()";
    case TypeKind::time: return "Time()";
    case TypeKind::json: return "JSON()";
    case TypeKind::enumeration: {
      std::string out = "Enum({";
      for (std::size_t i = 0; i < enum_values.size(); ++i) out += (i ? ", \"" : "\"") + enum_values[i] + "\"";
      return out + "})";
    }
    case TypeKind::large_binary: return "LargeBinary()";
    case TypeKind::uuid: return "UUID()";
    case TypeKind::unknown: return "unknown(" + raw + ")";
  }
  return "?";
}

SqlType SqlType::from_description(std::string_view text) {
  std::string t(text);
  auto open = t.find('(');
  auto close = t.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    throw ArgumentError("type '" + t + "' is not a type description such as String(50), Integer() or Numeric(10, 2)");
  std::string name = t.substr(0, open);
  std::string args = t.substr(open + 1, close - open - 1);
  auto ints = [&]() {
    std::vector<int> out;
    std::size_t pos = 0;
    while (pos < args.size()) {
      auto comma = args.find(',', pos);
      std::string part = args.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      if (!part.empty()) {
        int value = 0;
        auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.find_first_not_of("0123456789") != std::string::npos || end != part.data() + part.size())
          throw ArgumentError("type '" + t + "': '" + part + "' is not a number");
        // std::stoi threw std::out_of_range here, which is no retort error.
        if (error == std::errc::result_out_of_range)
          throw ArgumentError("type '" + t + "': " + part + " is too large (at most " +
                              std::to_string(std::numeric_limits<int>::max()) + ")");
        out.push_back(value);
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return out;
  };
  if (name == "Integer") return Integer();
  if (name == "BigInteger") return BigInteger();
  if (name == "SmallInteger") return SmallInteger();
  if (name == "String") {
    auto n = ints();
    return String(n.empty() ? std::nullopt : std::optional<int>(n[0]));
  }
  if (name == "Text") return Text();
  if (name == "Boolean") return Boolean();
  if (name == "Float") return Float();
  if (name == "Numeric") {
    auto n = ints();
    return Numeric(n.size() > 0 ? n[0] : 10, n.size() > 1 ? n[1] : 0);
  }
  if (name == "Date") return Date();
  if (name == "DateTime") return DateTime(args == "true");
  if (name == "Time") return Time();
  if (name == "JSON") return JSON();
  if (name == "LargeBinary") return LargeBinary();
  if (name == "UUID") return UUID();
  if (name == "Enum") {
    std::vector<std::string> values;
    std::size_t pos = 0;
    while ((pos = args.find('"', pos)) != std::string::npos) {
      auto end = args.find('"', pos + 1);
      if (end == std::string::npos) throw ArgumentError("type '" + t + "': unterminated enum value");
      values.push_back(args.substr(pos + 1, end - pos - 1));
      pos = end + 1;
    }
    return Enum(values, {}, /*create_constraint=*/false);  // a file lists its checks itself
  }
  if (name == "unknown") {
    SqlType u;
    u.raw = args;
    return u;
  }
  throw ArgumentError("type '" + t + "' is unknown; the types are Integer(), BigInteger(), SmallInteger(), String(n), "
                      "Text(), Boolean(), Float(), Numeric(p, s), Date(), DateTime(), Time(), JSON(), Enum({...}), "
                      "LargeBinary(), UUID()");
}

}  // namespace retort
