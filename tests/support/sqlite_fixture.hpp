// A file-backed SQLite database per test, with a statement counter.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "retort/core/engine.hpp"
#include "retort/core/schema.hpp"
#include "support/temp_dir.hpp"

namespace retort::testing {

/// The seed's owner/pet tables and the user/channel association table.
struct SeedTables {
  MetaData metadata;
  Table owner{metadata, "owner",
              {Column("id", Integer()).primary_key(), Column("name", String(50)).not_null().unique()}};
  Table pet{metadata, "pet",
            {Column("id", Integer()).primary_key(), Column("name", String(50)).not_null(), Column("species", String(20)),
             Column("owner_id", Integer()).foreign_key("owner.id").index()}};
  Table user{metadata, "user", {Column("id", Integer()).primary_key(), Column("username", String(50)).not_null()}};
  Table channel{metadata, "channel", {Column("id", Integer()).primary_key(), Column("title", String(100))}};
  Table user_channel{metadata, "user_channel",
                     {Column("user_id", Integer()).foreign_key("user.id"),
                      Column("channel_id", Integer()).foreign_key("channel.id")}};
};

class SqliteTest : public ::testing::Test {
 protected:
  SqliteTest() : engine_(url()) {
    hook_ = engine_.add_statement_hook([this](const StatementEvent& e) { statements_.emplace_back(e.sql); });
  }
  std::string url() const { return "sqlite:///" + (dir_ / "test.db").string(); }
  Engine& engine() { return engine_; }
  /// Statements executed since the last call.
  std::vector<std::string> take_statements() { return std::exchange(statements_, {}); }

  TempDir dir_;
  Engine engine_;
  std::vector<std::string> statements_;
  int hook_ = 0;
};

}  // namespace retort::testing
