// Operations on SQLite: what ALTER TABLE does directly, what becomes a table
// rebuild, and that a rebuild keeps every row, index and foreign key.
#include <gtest/gtest.h>

#include "migrate/migrate_fixture.hpp"

namespace r = retort;
namespace m = retort::migrate;

namespace {

using Rows = std::vector<std::vector<r::Value>>;

class Operations : public r::testing::MigrateTest {
 protected:
  /// owner(id, name) and pet(id, name, owner_id → owner.id, index on name), with rows.
  void seed() {
    revision("a1", "", R"(upgrade:
  - create_table:
      name: owner
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: name, type: String(50), nullable: false}
      primary_key: {name: pk_owner, columns: [id]}
  - create_table:
      name: pet
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: name, type: String(50), nullable: true}
        - {name: owner_id, type: Integer(), nullable: true}
      primary_key: {name: pk_pet, columns: [id]}
      foreign_keys:
        - {name: fk_pet_owner_id_owner, columns: [owner_id], referred_table: owner, referred_columns: [id]}
  - create_index: {table: pet, name: ix_pet_name, columns: [name], unique: false}
downgrade:
  - drop_index: {table: pet, name: ix_pet_name}
  - drop_table: {name: pet}
  - drop_table: {name: owner}
)");
    migrator().upgrade();
    exec("INSERT INTO owner (id, name) VALUES (1, 'Ann')");
    exec("INSERT INTO pet (id, name, owner_id) VALUES (1, 'Rex', 1)");
    exec("INSERT INTO pet (id, name, owner_id) VALUES (2, 'Tom', NULL)");
    take_statements();
  }
  /// Applies one revision after a1 and returns the DDL it ran.
  std::vector<std::string> apply(const std::string& body) {
    revision("b2", "a1", body);
    take_statements();
    migrator().upgrade();
    std::vector<std::string> ddl;
    for (auto& s : take_statements())
      if (s.rfind("CREATE", 0) == 0 || s.rfind("ALTER", 0) == 0 || s.rfind("DROP", 0) == 0 || s.rfind("INSERT INTO \"_", 0) == 0 ||
          s.rfind("INSERT INTO _", 0) == 0)
        ddl.push_back(s);
    return ddl;
  }
};

TEST_F(Operations, CreateTableNamesEveryConstraint) {
  seed();
  auto pet = live("pet");
  EXPECT_EQ(pet.primary_key().name, "pk_pet");
  ASSERT_EQ(pet.foreign_keys().size(), 1u);
  EXPECT_EQ(pet.foreign_keys()[0].name, "fk_pet_owner_id_owner");
  EXPECT_EQ(pet.foreign_keys()[0].referred_table, "owner");
  if (!r::testing::on_postgres()) {
    auto sql = rows("SELECT sql FROM sqlite_master WHERE name = 'pet'");
    EXPECT_NE(sql[0][0].as_text().find("CONSTRAINT pk_pet PRIMARY KEY (id)"), std::string::npos);
    EXPECT_NE(sql[0][0].as_text().find("CONSTRAINT fk_pet_owner_id_owner FOREIGN KEY(owner_id) REFERENCES owner (id)"),
              std::string::npos);
  }
  EXPECT_EQ(tables(), (std::vector<std::string>{"owner", "pet", "retort_version"}));
}

TEST_F(Operations, AddingANullableColumnIsAnAlterTable) {
  seed();
  auto ddl = apply("upgrade:\n  - add_column: {table: pet, column: {name: species, type: String(20), nullable: true}}\n");
  EXPECT_EQ(ddl, (std::vector<std::string>{"ALTER TABLE pet ADD COLUMN species VARCHAR(20)"}));
}

TEST_F(Operations, AddingANotNullColumnWithADefaultKeepsRows) {
  seed();
  apply("upgrade:\n  - add_column: {table: pet, column: {name: legs, type: Integer(), nullable: false, server_default: '4'}}\n");
  EXPECT_EQ(rows("SELECT name, legs FROM pet ORDER BY id"), (Rows{{r::Value("Rex"), r::Value(4)}, {r::Value("Tom"), r::Value(4)}}));
}

TEST_F(Operations, DroppingAColumnRebuildsTheTableAndKeepsRowsIndexesAndForeignKeys) {
  seed();
  auto ddl = apply("upgrade:\n  - add_column: {table: pet, column: {name: extra, type: Text(), nullable: true}}\n"
                   "  - drop_column: {table: pet, column: extra}\n");
  if (r::testing::on_postgres()) {  // PostgreSQL's ALTER TABLE does it all: no rebuild
    EXPECT_EQ(ddl, (std::vector<std::string>{"ALTER TABLE pet ADD COLUMN extra TEXT", "ALTER TABLE pet DROP COLUMN extra"}));
    EXPECT_EQ(rows("SELECT id, name, owner_id FROM pet ORDER BY id"),
              (Rows{{r::Value(1), r::Value("Rex"), r::Value(1)}, {r::Value(2), r::Value("Tom"), r::Value()}}));
    return;
  }
  ASSERT_GE(ddl.size(), 5u);
  EXPECT_EQ(ddl[1].rfind("CREATE TABLE _retort_tmp_pet", 0), 0u) << ddl[1];
  EXPECT_EQ(ddl[2], "INSERT INTO _retort_tmp_pet (id, name, owner_id) SELECT id, name, owner_id FROM pet");
  EXPECT_EQ(ddl[3], "DROP TABLE pet");
  EXPECT_EQ(ddl[4], "ALTER TABLE _retort_tmp_pet RENAME TO pet");
  EXPECT_EQ(ddl[5], "CREATE INDEX ix_pet_name ON pet (name)");
  EXPECT_EQ(rows("SELECT id, name, owner_id FROM pet ORDER BY id"),
            (Rows{{r::Value(1), r::Value("Rex"), r::Value(1)}, {r::Value(2), r::Value("Tom"), r::Value()}}));
  EXPECT_TRUE(rows("PRAGMA foreign_key_check").empty());
  EXPECT_THROW(exec("INSERT INTO pet (id, name, owner_id) VALUES (3, 'x', 99)"), r::IntegrityError);  // still enforced
}

TEST_F(Operations, AlteringTypeAndNullabilityRebuildsAndKeepsRows) {
  seed();
  exec("UPDATE pet SET name = 'Tom' WHERE id = 2");
  apply("upgrade:\n  - alter_column: {table: pet, column: name, type: Text(), nullable: false}\n");
  auto name = live("pet").column("name");
  EXPECT_FALSE(name.is_nullable());
  EXPECT_EQ(engine().dialect().type_sql(name.type), "TEXT");
  EXPECT_EQ(rows("SELECT count(*) FROM pet"), (Rows{{r::Value(2)}}));
  EXPECT_THROW(exec("INSERT INTO pet (id, name) VALUES (5, NULL)"), r::IntegrityError);
}

TEST_F(Operations, ARebuildThatViolatesAConstraintChangesNothing) {
  seed();  // Tom has no owner
  EXPECT_THROW(apply("upgrade:\n  - alter_column: {table: pet, column: owner_id, nullable: false}\n"), r::MigrationError);
  EXPECT_EQ(rows("SELECT version_num FROM retort_version"), (Rows{{r::Value("a1")}}));
  EXPECT_TRUE(live("pet").column("owner_id").is_nullable());  // as it was
  EXPECT_EQ(rows("SELECT count(*) FROM pet"), (Rows{{r::Value(2)}}));
  EXPECT_EQ(tables(), (std::vector<std::string>{"owner", "pet", "retort_version"}));
}

TEST_F(Operations, RenamingAColumnIsAnAlterTable) {
  seed();
  auto ddl = apply("upgrade:\n  - alter_column: {table: pet, column: name, new_name: nickname}\n");
  EXPECT_EQ(ddl, (std::vector<std::string>{"ALTER TABLE pet RENAME COLUMN name TO nickname"}));
  EXPECT_EQ(rows("SELECT nickname FROM pet WHERE id = 1"), (Rows{{r::Value("Rex")}}));
}

TEST_F(Operations, UniqueConstraintsAreAddedAndDroppedByRebuild) {
  seed();
  apply("upgrade:\n  - add_constraint: {table: owner, unique: {name: uq_owner_name, columns: [name]}}\n");
  EXPECT_THROW(exec("INSERT INTO owner (id, name) VALUES (2, 'Ann')"), r::IntegrityError);
  revision("c3", "b2", "upgrade:\n  - drop_constraint: {table: owner, name: uq_owner_name}\n");
  migrator().upgrade();
  exec("INSERT INTO owner (id, name) VALUES (2, 'Ann')");
  EXPECT_EQ(rows("SELECT count(*) FROM owner"), (Rows{{r::Value(2)}}));
}

TEST_F(Operations, RowsThatBreakAForeignKeyStopARebuild) {
  RETORT_SQLITE_ONLY("PostgreSQL cannot switch its foreign keys off to let an orphan in");
  seed();
  {  // an orphan slipped in while enforcement was off
    auto conn = engine().connect();
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF");
    conn.exec_driver_sql("INSERT INTO pet (id, name, owner_id) VALUES (9, 'Ghost', 42)");
    conn.exec_driver_sql("PRAGMA foreign_keys=ON");
  }
  try {
    apply("upgrade:\n  - alter_column: {table: pet, column: name, type: Text()}\n");
    FAIL() << "expected MigrationError";
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("leaves rows in 'pet' whose foreign key refers to no row in 'owner'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(rows("SELECT version_num FROM retort_version"), (Rows{{r::Value("a1")}}));
}

TEST_F(Operations, OperationsOnWhatIsNotThereNameItAndNothingRuns) {
  seed();
  try {
    apply("upgrade:\n  - add_column: {table: pet, column: {name: a, type: Text(), nullable: true}}\n"
          "  - drop_column: {table: pet, column: colour}\n");
    FAIL() << "expected MigrationError";
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("table 'pet' has no column 'colour' (its columns are: id, name, owner_id, a)"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing of it was run"), std::string::npos);
  }
  EXPECT_EQ(live("pet").find_column("a"), nullptr);
}

TEST_F(Operations, RenamingATableKeepsItsRows) {
  seed();
  apply("upgrade:\n  - rename_table: {from: owner, to: person}\n");
  EXPECT_EQ(tables(), (std::vector<std::string>{"person", "pet", "retort_version"}));
  EXPECT_EQ(rows("SELECT name FROM person"), (Rows{{r::Value("Ann")}}));
}

TEST_F(Operations, ExecuteRunsOnItsDialectOnly) {
  seed();
  apply("upgrade:\n  - execute: {sql: \"UPDATE pet SET name = upper(name)\", dialect: sqlite}\n"
        "  - execute: {sql: \"UPDATE pet SET name = 'never'\", dialect: postgresql}\n");
  EXPECT_EQ(rows("SELECT name FROM pet ORDER BY id"),
            r::testing::on_postgres() ? (Rows{{r::Value("never")}, {r::Value("never")}})
                                      : (Rows{{r::Value("REX")}, {r::Value("TOM")}}));
}

}  // namespace
