// SQL column types, dialect-neutral. Each dialect renders them (SQLite: its
// affinities; PostgreSQL: native types); reflection parses them back.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace retort {

enum class TypeKind {
  integer,
  big_integer,
  small_integer,
  string,
  text,
  boolean,
  floating,
  numeric,
  date,
  date_time,
  time,
  json,
  enumeration,
  large_binary,
  uuid,
  unknown,  ///< reflected but not understood; `raw` holds the database's spelling
};

/// A column's type. Construct it through the named types below: `String(50)`, `Numeric(10, 2)`.
struct SqlType {
  TypeKind kind = TypeKind::unknown;
  std::optional<int> length;            ///< String(n)
  int precision = 0;                    ///< Numeric(p, s)
  int scale = 0;
  bool timezone = false;                ///< DateTime(true)
  std::vector<std::string> enum_values; ///< Enum
  std::string enum_name;                ///< Enum: the PostgreSQL type name
  bool enum_check = false;              ///< Enum: a table gets CHECK (col IN (...)) for it
  std::string raw;                      ///< the spelling a reflected type had

  // Defined in types.cpp: copying a type is not inlined into every user's translation unit.
  SqlType();
  SqlType(const SqlType&);
  SqlType(SqlType&&) noexcept;
  SqlType& operator=(const SqlType&);
  SqlType& operator=(SqlType&&) noexcept;
  ~SqlType();

  /// Same type for schema comparison (ignores `raw`).
  bool same_as(const SqlType& other) const;
  /// A readable form, as it would be written in C++: "String(50)".
  std::string describe() const;
  /// The type a describe() text names (migration files store types so);
  /// ArgumentError for a text that names none.
  static SqlType from_description(std::string_view text);
};

struct Integer : SqlType { Integer() { kind = TypeKind::integer; } };
struct BigInteger : SqlType { BigInteger() { kind = TypeKind::big_integer; } };
struct SmallInteger : SqlType { SmallInteger() { kind = TypeKind::small_integer; } };
struct String : SqlType {
  explicit String(std::optional<int> n = std::nullopt) {
    kind = TypeKind::string;
    length = n;
  }
};
struct Text : SqlType { Text() { kind = TypeKind::text; } };
struct Boolean : SqlType { Boolean() { kind = TypeKind::boolean; } };
struct Float : SqlType { Float() { kind = TypeKind::floating; } };
struct Numeric : SqlType {
  Numeric(int p = 10, int s = 0) {
    kind = TypeKind::numeric;
    precision = p;
    scale = s;
  }
};
struct Date : SqlType { Date() { kind = TypeKind::date; } };
struct DateTime : SqlType {
  explicit DateTime(bool with_timezone = false) {
    kind = TypeKind::date_time;
    timezone = with_timezone;
  }
};
struct Time : SqlType { Time() { kind = TypeKind::time; } };
struct JSON : SqlType { JSON() { kind = TypeKind::json; } };
/// VARCHAR as long as the longest value. With `create_constraint` (the
/// default; SQLAlchemy's is off), the table also gets a named CHECK
/// constraint `ck_<table>_<column>` listing the values, so the database
/// refuses any other value, on SQLite and PostgreSQL alike.
struct Enum : SqlType {
  Enum(std::vector<std::string> values, std::string name = {}, bool create_constraint = true) {
    kind = TypeKind::enumeration;
    enum_values = std::move(values);
    enum_name = std::move(name);
    enum_check = create_constraint;
  }
};
struct LargeBinary : SqlType { LargeBinary() { kind = TypeKind::large_binary; } };
struct UUID : SqlType { UUID() { kind = TypeKind::uuid; } };

}  // namespace retort
