// SqlType comparison and description, shared by every dialect.
#include "retort/core/types.hpp"

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

}  // namespace retort
