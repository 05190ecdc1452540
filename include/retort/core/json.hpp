// JSON columns: nlohmann::json stored as its text. Opt-in, because
// nlohmann/json.hpp is a heavy include.
#pragma once

#include <nlohmann/json.hpp>

#include "retort/core/error.hpp"
#include "retort/core/value.hpp"

namespace retort {

template <>
struct ValueTraits<nlohmann::json> {
  static SqlType sql_type() { return JSON(); }
  /// JSON null is stored as the text 'null', as SQLAlchemy's JSON type does
  /// (none_as_null=False): SQL NULL is for std::optional<nlohmann::json>.
  static Value to_value(const nlohmann::json& j) { return Value(j.dump()); }
  static nlohmann::json from_value(const Value& v) {
    switch (v.kind()) {
      case Value::Kind::null: return nullptr;
      case Value::Kind::boolean: return v.as_bool();
      case Value::Kind::integer: return v.as_int();  // SQLite may store a bare JSON number as a number
      case Value::Kind::real: return v.as_double();
      case Value::Kind::text: {
        auto j = nlohmann::json::parse(v.as_text(), nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) throw ArgumentError("stored JSON is malformed: " + v.repr());
        return j;
      }
      case Value::Kind::bytes: break;
    }
    throw ArgumentError("cannot read " + v.repr() + " as JSON");
  }
};

}  // namespace retort
