// Mappings: table names as Flask-SQLAlchemy derives them, column types from
// member types, and mapping errors. A separate program from the other ORM
// tests: its broken models would make their registry fail to configure.
#include <gtest/gtest.h>

#include "../models.hpp"
#include "retort/core/dialect.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;

struct Unmapped {
  int id = 0;
};
struct TwiceMapped {
  std::int64_t id = 0;
  std::string name;
};
struct NoKey {
  std::int64_t id = 0;
};
struct SameTableAsOwner {
  std::int64_t id = 0;
};
struct TwoKeys {
  std::int64_t a = 0;
  std::int64_t b = 0;
};
struct BadForeignKey {
  std::int64_t id = 0;
  std::int64_t ghost_id = 0;
};

template <>
struct retort::Mapping<TwiceMapped> {
  static void map(Mapper<TwiceMapped>& m) {
    m.column(&TwiceMapped::id, "id").primary_key();
    m.column(&TwiceMapped::name, "name");
    m.column(&TwiceMapped::name, "name");
  }
};
template <>
struct retort::Mapping<NoKey> {
  static void map(Mapper<NoKey>& m) { m.column(&NoKey::id, "id"); }
};
template <>
struct retort::Mapping<SameTableAsOwner> {
  static void map(Mapper<SameTableAsOwner>& m) {
    m.table("owner");
    m.column(&SameTableAsOwner::id, "id").primary_key();
  }
};
template <>
struct retort::Mapping<TwoKeys> {
  static void map(Mapper<TwoKeys>& m) {
    m.column(&TwoKeys::a, "a").primary_key();
    m.column(&TwoKeys::b, "b");
    m.constraint(PrimaryKeyConstraint{{"a", "b"}, ""});
  }
};
template <>
struct retort::Mapping<BadForeignKey> {
  static void map(Mapper<BadForeignKey>& m) {
    m.column(&BadForeignKey::id, "id").primary_key();
    m.column(&BadForeignKey::ghost_id, "ghost_id").foreign_key("ghost.id");
  }
};

namespace {
/// Runs `configure` and checks it raises MappingError whose message holds every fragment.
template <class F>
void expect_mapping_error(F configure, std::initializer_list<const char*> fragments) {
  try {
    configure();
    ADD_FAILURE() << "expected MappingError";
  } catch (const r::MappingError& e) {
    for (auto* f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(TableNames, FlaskSqlalchemyRule) {
  std::pair<const char*, const char*> cases[] = {
      {"User", "user"},          {"UserChannel", "user_channel"}, {"HTTPRequest", "http_request"},
      {"ABCModel", "abc_model"}, {"OAuth2Token", "o_auth2_token"}, {"IPv4Address", "i_pv4_address"},
      {"Model2Thing", "model2_thing"}, {"HTTP2Server", "http2_server"}, {"ABc", "a_bc"},
      {"User_Group", "user__group"}, {"ID", "id"}, {"OrderItem", "order_item"}};
  for (auto [in, out] : cases) EXPECT_EQ(r::detail::default_table_name(in), out) << in;
}

TEST(Mapping, BrokenModelsStopMappedMetadata) { EXPECT_THROW(r::mapped_metadata(), r::MappingError); }

TEST(Mapping, DerivedTableNameAndTypes) {
  auto& info = r::class_info<models::OrderItem>();
  EXPECT_EQ(info.type_name, "OrderItem");
  EXPECT_EQ(info.table_name, "order_item");
  auto& owner = r::class_info<models::Owner>();
  EXPECT_EQ(owner.table->column("id").type.kind, r::TypeKind::integer);
  EXPECT_FALSE(owner.table->column("name").is_nullable());  // std::string: NOT NULL
  EXPECT_TRUE(owner.table->column("email").is_nullable());  // std::optional: nullable
  EXPECT_EQ(owner.table->unique_constraints().at(0).name, "uq_owner_name");
  auto& e = r::class_info<models::Everything>();
  EXPECT_EQ(e.table->column("day").type.kind, r::TypeKind::date);
  EXPECT_EQ(e.table->column("doc").type.kind, r::TypeKind::json);
  EXPECT_EQ(e.table->column("maybe").type.kind, r::TypeKind::integer);
}

TEST(Mapping, ColumnMappedTwiceNamesModel) {
  expect_mapping_error([] { r::class_info<TwiceMapped>(); }, {"TwiceMapped", "'name' twice"});
}

TEST(Mapping, NoPrimaryKeyIsAnError) {
  expect_mapping_error([] { r::class_info<NoKey>(); }, {"NoKey has no primary key"});
}

TEST(Mapping, TwoModelsOneTable) {
  r::class_info<models::Owner>();
  expect_mapping_error([] { r::class_info<SameTableAsOwner>(); }, {"both map table 'owner'"});
}

TEST(Mapping, ForeignKeyToUnknownTable) {
  expect_mapping_error([] { r::detail::check_foreign_keys(r::class_info<BadForeignKey>(), r::MetaData{}); }, {"BadForeignKey", "ghost"});
}

TEST(Mapping, PrimaryKeyDeclaredTwoWaysDifferently) {
  expect_mapping_error([] { r::class_info<TwoKeys>(); }, {"TwoKeys declares its primary key twice"});
}
