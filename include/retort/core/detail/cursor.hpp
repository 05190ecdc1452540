// The driver-side view of one executing statement. Public only so that Row's
// accessors inline to one virtual call; drivers implement it in src/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "retort/core/value.hpp"

namespace retort::detail {

class Cursor {
 public:
  virtual ~Cursor() = default;
  /// Advances to the next row; false when there is none.
  virtual bool next() = 0;
  virtual int column_count() const = 0;
  virtual std::string_view column_name(int i) const = 0;
  /// All column names; a driver may share them between executions of one prepared statement.
  virtual std::shared_ptr<const std::vector<std::string>> column_names() const {
    auto names = std::make_shared<std::vector<std::string>>();
    for (int i = 0; i < column_count(); ++i) names->emplace_back(column_name(i));
    return names;
  }
  virtual bool is_null(int i) const = 0;
  virtual std::int64_t get_int(int i) const = 0;
  virtual double get_double(int i) const = 0;
  virtual std::string_view get_text(int i) const = 0;
  virtual std::span<const unsigned char> get_bytes(int i) const = 0;
  virtual Value get_value(int i) const = 0;
  /// The integer, or nullopt for NULL: what is_null and get_int say, in one call a driver may make cheaper.
  virtual std::optional<std::int64_t> get_int_or_null(int i) const {
    return is_null(i) ? std::nullopt : std::optional<std::int64_t>(get_int(i));
  }
  /// The text (valid until the cursor advances), or nullopt for NULL.
  virtual std::optional<std::string_view> get_text_or_null(int i) const {
    return is_null(i) ? std::nullopt : std::optional<std::string_view>(get_text(i));
  }
  /// Rows changed by an INSERT, UPDATE or DELETE.
  virtual std::int64_t rows_affected() const = 0;
  /// The rowid of the last INSERT (SQLite); 0 where the dialect uses RETURNING.
  virtual std::int64_t last_insert_id() const = 0;
};

}  // namespace retort::detail
