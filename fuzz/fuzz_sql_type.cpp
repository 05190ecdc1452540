// Column types from text: SqlType::from_description (the type a migration file
// names, "String(50)") and each dialect's parse_type (the type a database
// reports when a table is reflected, "VARCHAR(50)": any text a user declared
// in SQLite). Properties: only retort errors may be thrown; a described type
// reads back as the same type; a parsed type renders as DDL.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using retort::fuzz::only_retort_errors;
  using retort::fuzz::quoted;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::optional<retort::SqlType> described;
  only_retort_errors("SqlType::from_description", [&] { described = retort::SqlType::from_description(text); });
  if (described) {
    std::string description = described->describe();
    std::optional<retort::SqlType> again;
    bool read = only_retort_errors("from_description of describe()",
                                   [&] { again = retort::SqlType::from_description(description); });
    RETORT_FUZZ_CHECK(read && again->same_as(*described) && again->describe() == description,
                      "input: " + quoted(text) + "\ndescribed: " + quoted(description));
  }

  for (const char* name : {"sqlite", "postgresql"}) {
    auto& dialect = retort::dialect_for(name);
    std::optional<retort::SqlType> parsed;
    only_retort_errors("Dialect::parse_type", [&] { parsed = dialect.parse_type(text); });
    if (parsed) only_retort_errors("Dialect::type_sql of a parsed type", [&] { (void)dialect.type_sql(*parsed); });
    if (described) {
      std::string ddl;
      only_retort_errors("Dialect::type_sql", [&] { ddl = dialect.type_sql(*described); });
      only_retort_errors("Dialect::parse_type of type_sql", [&] { (void)dialect.parse_type(ddl); });
    }
  }
  return 0;
}
