// Schema metadata: constraint normal form and naming, dependency order,
// create_all/drop_all with checkfirst, DDL text, and reflection of a schema
// created by create_all back into the same metadata.
#include <gtest/gtest.h>

#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;
using r::testing::SeedTables;

namespace {

std::vector<std::string> names(const std::vector<r::Table>& tables) {
  std::vector<std::string> out;
  for (auto& t : tables) out.push_back(t.name());
  return out;
}

/// Every difference between two tables, as readable lines (empty: the same).
std::vector<std::string> differences(const r::Table& a, const r::Table& b) {
  std::vector<std::string> d;
  if (a.columns().size() != b.columns().size()) d.push_back("column count");
  for (auto& ca : a.columns()) {
    auto* cb = b.find_column(ca.name);
    if (!cb) {
      d.push_back("missing column " + ca.name);
      continue;
    }
    if (!ca.type.same_as(cb->type)) d.push_back(ca.name + ": type " + ca.type.describe() + " vs " + cb->type.describe());
    if (ca.is_nullable() != cb->is_nullable()) d.push_back(ca.name + ": nullable");
    if (ca.primary_key != cb->primary_key) d.push_back(ca.name + ": primary key");
    if (ca.server_default != cb->server_default) d.push_back(ca.name + ": server default");
  }
  if (a.primary_key().columns != b.primary_key().columns || a.primary_key().name != b.primary_key().name)
    d.push_back("primary key " + a.primary_key().name + " vs " + b.primary_key().name);
  // Each kind of constraint compares as a sorted set of one-line descriptions.
  auto compare = [&](const char* what, const auto& in_a, const auto& in_b, auto text) {
    std::vector<std::string> ta, tb;
    for (auto& x : in_a) ta.push_back(text(x));
    for (auto& x : in_b) tb.push_back(text(x));
    std::sort(ta.begin(), ta.end());
    std::sort(tb.begin(), tb.end());
    if (ta != tb) d.push_back(what);
  };
  auto cols = [](const std::vector<std::string>& v) {
    std::string s;
    for (auto& c : v) s += c + ",";
    return s;
  };
  compare("foreign keys", a.foreign_keys(), b.foreign_keys(), [&](const r::ForeignKeyConstraint& f) {
    return f.name + ":" + cols(f.columns) + "->" + f.referred_table + "(" + cols(f.referred_columns) + ")" +
           f.ondelete + "/" + f.onupdate;
  });
  compare("unique constraints", a.unique_constraints(), b.unique_constraints(),
          [&](const r::UniqueConstraint& u) { return u.name + ":" + cols(u.columns); });
  compare("indexes", a.indexes(), b.indexes(),
          [&](const r::Index& i) { return i.name + (i.unique ? "!" : ":") + cols(i.columns); });
  // PostgreSQL gives back its own normal form of a check's expression
  // ("price >= (0)::numeric"): there the name is what is compared.
  compare("check constraints", a.check_constraints(), b.check_constraints(),
          [](const r::CheckConstraint& k) { return r::testing::on_postgres() ? k.name : k.name + ":" + k.sql; });
  return d;
}

}  // namespace

class SchemaTest : public r::testing::DatabaseTest {};

TEST(SchemaMetadata, ColumnOptionsBecomeNamedConstraints) {
  SeedTables t;
  EXPECT_EQ(t.owner.primary_key().name, "pk_owner");
  ASSERT_EQ(t.owner.unique_constraints().size(), 1u);
  EXPECT_EQ(t.owner.unique_constraints()[0].name, "uq_owner_name");
  ASSERT_EQ(t.pet.foreign_keys().size(), 1u);
  EXPECT_EQ(t.pet.foreign_keys()[0].name, "fk_pet_owner_id_owner");
  EXPECT_EQ(t.pet.foreign_keys()[0].referred_columns, std::vector<std::string>{"id"});
  ASSERT_EQ(t.pet.indexes().size(), 1u);
  EXPECT_EQ(t.pet.indexes()[0].name, "ix_pet_owner_id");
  EXPECT_FALSE(t.owner.column("id").is_nullable());
  EXPECT_TRUE(t.pet.column("species").is_nullable());
  EXPECT_EQ(t.owner.autoincrement_column()->name, "id");
  EXPECT_EQ(t.user_channel.autoincrement_column(), nullptr);
}

TEST(SchemaMetadata, UniqueIndexColumnIsOneUniqueIndex) {
  r::Table t{"t", {r::Column("id", r::Integer()).primary_key(), r::Column("code", r::String(8)).unique().index()}};
  EXPECT_TRUE(t.unique_constraints().empty());
  ASSERT_EQ(t.indexes().size(), 1u);
  EXPECT_TRUE(t.indexes()[0].unique);
}

TEST(SchemaMetadata, CompositePrimaryKey) {
  r::Table t{"t", {r::Column("a", r::Integer()), r::Column("b", r::String(5)), r::PrimaryKeyConstraint{{"a", "b"}, ""}}};
  EXPECT_EQ(t.primary_key().columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(t.column("a").primary_key);
  EXPECT_FALSE(t.column("b").is_nullable());
  EXPECT_EQ(t.autoincrement_column(), nullptr);
}

TEST(SchemaMetadata, WithoutForeignKeysToCopiesTheRest) {
  r::Table profile{"profile", {r::Column("user_id", r::Integer()).primary_key().foreign_key("user.id"),
                               r::Column("team_id", r::Integer()).foreign_key("team.id").index()}};
  r::Table local = profile.without_foreign_keys_to({"user"});
  ASSERT_EQ(local.foreign_keys().size(), 1u);
  EXPECT_EQ(local.foreign_keys()[0].referred_table, "team");
  EXPECT_EQ(local.indexes().size(), 1u);
  EXPECT_EQ(profile.foreign_keys().size(), 2u) << "the original keeps its keys";
  EXPECT_FALSE(local == profile) << "a definition of its own";
  EXPECT_EQ(profile.autoincrement_column(), nullptr);
  EXPECT_EQ(local.autoincrement_column(), nullptr) << "a key copied from another table stays one the database does not generate";
}

TEST(SchemaMetadata, BadDeclarationsAreNamed) {
  EXPECT_THROW((r::Table{"t", {r::Column("a", r::Integer()), r::Column("a", r::Integer())}}), r::ArgumentError);
  try {
    r::Table t{"t", {r::Column("a", r::Integer()), r::UniqueConstraint{{"b"}, ""}}};
    FAIL();
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown column 'b'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r::Column("a", r::Integer()).foreign_key("owner"), r::ArgumentError);
  r::MetaData md;
  md.add(r::Table{"x"});
  EXPECT_THROW(md.add(r::Table{"x"}), r::ArgumentError);
  EXPECT_THROW(md.table("y"), r::ArgumentError);
}

TEST(SchemaMetadata, SortedTablesPutParentsFirst) {
  r::MetaData md;
  // Declared child-first on purpose.
  r::Table uc(md, "user_channel", {r::Column("user_id", r::Integer()).foreign_key("user.id"),
                                    r::Column("channel_id", r::Integer()).foreign_key("channel.id")});
  r::Table pet(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("owner_id", r::Integer()).foreign_key("owner.id")});
  r::Table user(md, "user", {r::Column("id", r::Integer()).primary_key()});
  r::Table owner(md, "owner", {r::Column("id", r::Integer()).primary_key()});
  r::Table channel(md, "channel", {r::Column("id", r::Integer()).primary_key()});
  auto sorted = names(md.sorted_tables());
  auto pos = [&](const std::string& n) { return std::find(sorted.begin(), sorted.end(), n) - sorted.begin(); };
  EXPECT_LT(pos("user"), pos("user_channel"));
  EXPECT_LT(pos("channel"), pos("user_channel"));
  EXPECT_LT(pos("owner"), pos("pet"));
  EXPECT_EQ(sorted.size(), 5u);
}

TEST(SchemaMetadata, SelfReferenceDoesNotLoop) {
  r::MetaData md;
  r::Table cat(md, "category", {r::Column("id", r::Integer()).primary_key(),
                                 r::Column("parent_id", r::Integer()).foreign_key("category.id")});
  EXPECT_EQ(names(md.sorted_tables()), std::vector<std::string>{"category"});
}

TEST(SchemaDdl, CreateTableText) {
  SeedTables t;
  EXPECT_EQ(r::create_table_sql(t.pet, r::dialect_for("sqlite")),
            "CREATE TABLE pet (\n\tid INTEGER NOT NULL,\n\tname VARCHAR(50) NOT NULL,\n\tspecies VARCHAR(20),\n\t"
            "owner_id INTEGER,\n\tCONSTRAINT pk_pet PRIMARY KEY (id),\n\t"
            "CONSTRAINT fk_pet_owner_id_owner FOREIGN KEY(owner_id) REFERENCES owner (id)\n)");
  EXPECT_EQ(r::create_index_sql(t.pet, t.pet.indexes()[0], r::dialect_for("sqlite")),
            "CREATE INDEX ix_pet_owner_id ON pet (owner_id)");
  EXPECT_EQ(r::drop_table_sql(t.user, r::dialect_for("sqlite")), "DROP TABLE \"user\"");
}

TEST_F(SchemaTest, CreateAllThenDropAll) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  EXPECT_EQ(engine().dialect().table_names(conn),
            (std::vector<std::string>{"channel", "owner", "pet", "user", "user_channel"}));
  t.metadata.drop_all(engine());
  EXPECT_TRUE(engine().dialect().table_names(conn).empty());
}

TEST_F(SchemaTest, CreateAllChecksFirst) {
  SeedTables t;
  t.metadata.create_all(engine());
  take_statements();
  t.metadata.create_all(engine());
  for (auto& s : take_statements()) EXPECT_EQ(s.find("CREATE"), std::string::npos) << s;
  EXPECT_THROW(t.metadata.create_all(engine(), /*checkfirst=*/false), r::ProgrammingError);
}

TEST_F(SchemaTest, CreateAllIsAtomic) {
  // The second table's DDL fails: the first must not be left behind.
  r::MetaData md;
  r::Table a(md, "a", {r::Column("id", r::Integer()).primary_key()});
  r::Table b(md, "b", {r::Column("id", r::Integer()).primary_key(), r::CheckConstraint{"no_such_fn(id)", ""}});
  EXPECT_THROW(md.create_all(engine()), r::ProgrammingError);
  auto conn = engine().connect();
  EXPECT_TRUE(engine().dialect().table_names(conn).empty());
}

TEST_F(SchemaTest, ReflectionMatchesMetadata) {
  r::MetaData md;
  r::Table owner(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null().unique(),
                                r::Column("joined", r::DateTime()).server_default("CURRENT_TIMESTAMP")});
  r::Table item(md, "order_item",
                {r::Column("order_id", r::Integer()), r::Column("line", r::SmallInteger()),
                 r::Column("price", r::Numeric(10, 2)).not_null(), r::Column("note", r::Text()),
                 r::Column("owner_id", r::Integer()).foreign_key("owner.id", "CASCADE", "").index(),
                 r::Column("active", r::Boolean()).server_default("true"), r::Column("weight", r::Float()),
                 r::Column("day", r::Date()), r::Column("at", r::Time()), r::Column("data", r::JSON()),
                 r::Column("blob", r::LargeBinary()), r::Column("key", r::UUID()), r::Column("big", r::BigInteger()),
                 r::PrimaryKeyConstraint{{"order_id", "line"}, ""}, r::UniqueConstraint{{"owner_id", "line"}, "uq_item_owner_line"},
                 r::CheckConstraint{"price >= 0", "ck_order_item_price"}, r::Index{"ix_item_day_at", {"day", "at"}, false}});
  md.create_all(engine());
  auto conn = engine().connect();
  auto live = r::reflect(conn);
  ASSERT_EQ(live.tables().size(), 2u);
  for (auto& t : md.tables()) {
    auto diff = differences(t, live.table(t.name()));
    EXPECT_TRUE(diff.empty()) << t.name() << ": " << ::testing::PrintToString(diff);
  }
}

TEST_F(SchemaTest, ReflectionSeesChanges) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  conn.exec_driver_sql("ALTER TABLE pet ADD COLUMN age INTEGER");
  auto pet = engine().dialect().reflect_table(conn, "pet");
  auto diff = differences(t.pet, pet);
  EXPECT_EQ(diff, (std::vector<std::string>{"column count"}));
  EXPECT_NE(pet.find_column("age"), nullptr);
  EXPECT_THROW(engine().dialect().reflect_table(conn, "nope"), r::ProgrammingError);
}

TEST_F(SchemaTest, ReservedTableNamesWork) {
  r::MetaData md;
  r::Table order(md, "order", {r::Column("id", r::Integer()).primary_key(), r::Column("group", r::String(10)),
                                r::Column("select", r::Integer()).index()});
  md.create_all(engine());
  auto conn = engine().connect();
  conn.execute(r::insert(order).values({{"group", "g"}, {"select", 1}}));
  EXPECT_EQ(conn.execute(r::select({order.c("group")}).where(order.c("select") == 1)).scalar<std::string>(), "g");
  auto live = engine().dialect().reflect_table(conn, "order");
  EXPECT_TRUE(differences(order, live).empty());
}
