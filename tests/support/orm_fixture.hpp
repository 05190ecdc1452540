// An ORM test: a SQLite file with the mapped tables created, a statement log.
#pragma once

#include "retort/orm.hpp"
#include "support/database_fixture.hpp"

namespace retort::testing {

class OrmTest : public DatabaseTest {
 protected:
  OrmTest() { mapped_metadata().create_all(engine()); }
  /// Statements since the last call whose text starts with `prefix` ("" for all).
  std::vector<std::string> statements(const std::string& prefix = "") {
    std::vector<std::string> out;
    for (auto& s : take_statements())
      if (s.rfind(prefix, 0) == 0) out.push_back(s);
    return out;
  }
};

}  // namespace retort::testing
