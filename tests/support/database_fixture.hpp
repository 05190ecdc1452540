// A database per test, on the backend the test program runs against: a SQLite
// file (the default), or a schema of its own on the PostgreSQL server named by
// RETORT_TEST_POSTGRES_URL when RETORT_TEST_BACKEND=postgresql (CTest runs
// each database suite once per backend). A statement log comes with it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
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

/// True when this test program runs against PostgreSQL (RETORT_TEST_BACKEND=postgresql).
bool on_postgres();

/// A fresh, empty PostgreSQL schema for one test, dropped with everything in
/// it on destruction; `url()` connects with it as the search path.
class PostgresSchema {
 public:
  PostgresSchema();
  ~PostgresSchema();
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string server_, name_, url_;
};

/// A database of its own on the PostgreSQL server named by
/// RETORT_TEST_POSTGRES_URL (CREATE DATABASE), dropped on destruction with
/// whatever still connects to it: a second database beside the test's.
class PostgresDatabase {
 public:
  PostgresDatabase();
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  /// Whether RETORT_TEST_POSTGRES_URL names a server to make one on.
  static bool available();

 private:
  std::string server_, name_, url_;
};

class DatabaseTest : public ::testing::Test {
 protected:
  DatabaseTest();
  ~DatabaseTest() override;
  /// The database URL of this test (a SQLite file, or a PostgreSQL schema).
  std::string url() const;
  Engine& engine() { return engine_; }
  /// Statements executed since the last call, with PostgreSQL's $1, $2, ...
  /// written as `?`: one expected statement shape serves both backends.
  std::vector<std::string> take_statements() { return std::exchange(statements_, {}); }
  /// SQL written with SQLite's `?` placeholders, in this backend's spelling ($1, $2, ... on PostgreSQL).
  static std::string sql(std::string_view text);

  TempDir dir_;
  std::unique_ptr<PostgresSchema> schema_;  // PostgreSQL only
  Engine engine_;
  std::vector<std::string> statements_;
  int hook_ = 0;
};

}  // namespace retort::testing

/// Skips the rest of a test on PostgreSQL: what it checks is SQLite's own
/// behaviour (PRAGMAs, rowids, its file); the reason is printed.
#define RETORT_SQLITE_ONLY(why)                                     \
  do {                                                              \
    if (::retort::testing::on_postgres()) GTEST_SKIP() << "SQLite only: " << why; \
  } while (0)
