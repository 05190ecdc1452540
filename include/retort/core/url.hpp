// Database URLs as SQLAlchemy reads them: dialect[+driver]://user:password@host:port/database?key=value
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retort {

/// A parsed database URL. User and password are stored percent-decoded.
///
/// **Example**: `auto u = Url::parse("postgresql://ann:p%40ss@db:5432/shop?sslmode=require");`
/// gives `u.password == "p@ss"`, `u.port == 5432`, `u.query_value("sslmode") == "require"`.
struct Url {
  std::string dialect;                ///< "sqlite", "postgresql" (`postgres` is normalised to it)
  std::string driver;                 ///< the part after '+', if any
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string host;                   ///< without brackets for IPv6
  std::optional<int> port;
  std::string database;               ///< sqlite: the file path ("" or ":memory:" for memory)
  std::vector<std::pair<std::string, std::string>> query;  ///< in order, decoded

  /// Parses `text`; throws ConfigError naming the column and what was expected.
  static Url parse(std::string_view text);

  /// The URL as text; the password shown as `***` when `hide_password`.
  std::string render(bool hide_password = true) const;

  /// The last value of a query key, if present.
  std::optional<std::string> query_value(std::string_view key) const;

  /// sqlite: true for `sqlite://` and `sqlite:///:memory:`.
  bool is_memory() const;
};

}  // namespace retort
