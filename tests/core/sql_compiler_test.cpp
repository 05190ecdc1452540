// SQL rendering without a database: each construct compiles to the expected
// text, values only ever appear as placeholders, identifiers are quoted.
#include <gtest/gtest.h>

#include <atomic>

#include "retort/core/dialect.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"

namespace r = retort;

// The expression operators apply when an operand is an expression, and only
// then: inside namespace retort (or after `using namespace retort`), a type
// that merely converts to a value keeps its built-in operators.
namespace retort {
static_assert(std::is_same_v<decltype(!std::declval<std::atomic<bool>&>()), bool>);
static_assert(std::is_same_v<decltype(std::declval<std::atomic<int>&>() == 1), bool>);
static_assert(std::is_same_v<decltype(std::declval<std::atomic<bool>&>() && true), bool>);
static_assert(std::is_same_v<decltype(!std::declval<Expr>()), Expr>);
static_assert(std::is_same_v<decltype(std::declval<Expr>() == 1), Expr>);
static_assert(std::is_same_v<decltype("cat" == std::declval<Expr>()), Expr>);
static_assert(std::is_same_v<decltype(std::declval<Expr>() && std::declval<Expr>()), Expr>);
}  // namespace retort

namespace {

struct Schema {
  r::Table owner{"owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null()}};
  r::Table pet{"pet",
               {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)),
                r::Column("species", r::String(20)), r::Column("owner_id", r::Integer()).foreign_key("owner.id")}};
};

std::string sql(const r::Statement& s) { return r::compile(s, r::dialect_for("sqlite")).sql; }

}  // namespace

TEST(SqlCompile, SelectWholeTable) {
  Schema s;
  EXPECT_EQ(sql(r::select(s.owner)), "SELECT owner.id, owner.name FROM owner");
}

TEST(SqlCompile, WhereBindsValues) {
  Schema s;
  auto c = r::compile(r::select(s.pet).where(s.pet.c("name") == "Rex" && s.pet.c("id") > 3), r::dialect_for("sqlite"));
  EXPECT_EQ(c.sql,
            "SELECT pet.id, pet.name, pet.species, pet.owner_id FROM pet WHERE pet.name = ? AND pet.id > ?");
  ASSERT_EQ(c.slots.size(), 2u);
}

TEST(SqlCompile, OrInsideAndIsParenthesised) {
  Schema s;
  auto q = r::select({s.pet.c("id")}).where((s.pet.c("species") == "cat" || s.pet.c("species") == "dog") &&
                                            !(s.pet.c("id") == 1));
  EXPECT_EQ(sql(q), "SELECT pet.id FROM pet WHERE (pet.species = ? OR pet.species = ?) AND NOT pet.id = ?");
}

TEST(SqlCompile, NullComparisonsBecomeIsNull) {
  Schema s;
  EXPECT_EQ(sql(r::select({s.pet.c("id")}).where(s.pet.c("owner_id") == nullptr)),
            "SELECT pet.id FROM pet WHERE pet.owner_id IS NULL");
  EXPECT_EQ(sql(r::select({s.pet.c("id")}).where(s.pet.c("owner_id") != nullptr)),
            "SELECT pet.id FROM pet WHERE pet.owner_id IS NOT NULL");
}

TEST(SqlCompile, InLikeBetween) {
  Schema s;
  auto q = r::select({s.pet.c("id")})
               .where(s.pet.c("id").in_({1, 2, 3}))
               .where(s.pet.c("name").like("R%"))
               .where(s.pet.c("id").between(1, 9));
  EXPECT_EQ(sql(q), "SELECT pet.id FROM pet WHERE pet.id IN (?, ?, ?) AND pet.name LIKE ? AND pet.id BETWEEN ? AND ?");
}

TEST(SqlCompile, EmptyInListMatchesNothing) {
  Schema s;
  EXPECT_EQ(sql(r::select({s.pet.c("id")}).where(s.pet.c("id").in_({}))), "SELECT pet.id FROM pet WHERE 1 = 0");
}

TEST(SqlCompile, IlikeOnSqliteUsesLower) {
  Schema s;
  EXPECT_EQ(sql(r::select({s.pet.c("id")}).where(s.pet.c("name").ilike("r%"))),
            "SELECT pet.id FROM pet WHERE lower(pet.name) LIKE lower(?)");
}

TEST(SqlCompile, OrderLimitOffset) {
  Schema s;
  auto q = r::select({s.pet.c("id")}).order_by({s.pet.c("name").desc().nulls_last(), s.pet.c("id")}).limit(10).offset(20);
  EXPECT_EQ(sql(q), "SELECT pet.id FROM pet ORDER BY pet.name DESC NULLS LAST, pet.id LIMIT ? OFFSET ?");
  EXPECT_EQ(sql(r::select({s.pet.c("id")}).offset(5)), "SELECT pet.id FROM pet LIMIT -1 OFFSET ?");
}

TEST(SqlCompile, GroupByHavingAggregates) {
  Schema s;
  auto q = r::select({s.owner.c("name"), r::func::count(s.pet.c("id")).label("pets")})
               .select_from(r::From(s.owner).outerjoin(s.pet, s.pet.c("owner_id") == s.owner.c("id")))
               .group_by({s.owner.c("id")})
               .having(r::func::count(s.pet.c("id")) > 1);
  EXPECT_EQ(sql(q),
            "SELECT owner.name, count(pet.id) AS pets FROM owner LEFT OUTER JOIN pet ON pet.owner_id = owner.id "
            "GROUP BY owner.id HAVING count(pet.id) > ?");
}

TEST(SqlCompile, JoinFromInferredTable) {
  Schema s;
  auto q = r::select({s.owner.c("name")}).join(s.pet, s.pet.c("owner_id") == s.owner.c("id")).distinct();
  EXPECT_EQ(sql(q), "SELECT DISTINCT owner.name FROM owner JOIN pet ON pet.owner_id = owner.id");
}

TEST(SqlCompile, AliasSelfJoin) {
  Schema s;
  auto a = s.pet.alias("pet_1");
  auto q = r::select({s.pet.c("id"), a.c("id")}).select_from(r::From(s.pet).join(a, a.c("owner_id") == s.pet.c("owner_id")));
  EXPECT_EQ(sql(q), "SELECT pet.id, pet_1.id FROM pet JOIN pet AS pet_1 ON pet_1.owner_id = pet.owner_id");
}

TEST(SqlCompile, ScalarSubqueryCorrelates) {
  Schema s;
  auto n = r::select({r::func::count()}).select_from(s.pet).where(s.pet.c("owner_id") == s.owner.c("id")).scalar_subquery();
  EXPECT_EQ(sql(r::select({s.owner.c("name"), n.label("pets")})),
            "SELECT owner.name, (SELECT count(*) FROM pet WHERE pet.owner_id = owner.id) AS pets FROM owner");
}

TEST(SqlCompile, ExistsCorrelates) {
  Schema s;
  auto q = r::select({s.owner.c("id")}).where(r::exists(r::select({s.pet.c("id")}).where(s.pet.c("owner_id") == s.owner.c("id"))));
  EXPECT_EQ(sql(q), "SELECT owner.id FROM owner WHERE EXISTS (SELECT pet.id FROM pet WHERE pet.owner_id = owner.id)");
}

TEST(SqlCompile, SubqueryInFrom) {
  Schema s;
  auto sub = r::select({s.pet.c("owner_id"), r::func::count().label("n")}).group_by({s.pet.c("owner_id")}).subquery("counts");
  auto q = r::select({s.owner.c("name"), sub.c("n")}).select_from(r::From(s.owner).join(sub, sub.c("owner_id") == s.owner.c("id")));
  EXPECT_EQ(sql(q),
            "SELECT owner.name, counts.n FROM owner JOIN (SELECT pet.owner_id, count(*) AS n FROM pet GROUP BY "
            "pet.owner_id) AS counts ON counts.owner_id = owner.id");
}

TEST(SqlCompile, InsertUpdateDeleteReturning) {
  Schema s;
  EXPECT_EQ(sql(r::insert(s.owner).values({{"name", "Ann"}}).returning({s.owner.c("id")})),
            "INSERT INTO owner (name) VALUES (?) RETURNING id");
  EXPECT_EQ(sql(r::update(s.owner).values({{"name", "Bo"}}).where(s.owner.c("id") == 1)),
            "UPDATE owner SET name=? WHERE owner.id = ?");
  EXPECT_EQ(sql(r::delete_(s.pet).where(s.pet.c("owner_id").is_null())), "DELETE FROM pet WHERE pet.owner_id IS NULL");
  EXPECT_EQ(sql(r::insert(s.owner)), "INSERT INTO owner DEFAULT VALUES");
}

TEST(SqlCompile, UpdateWithExpression) {
  Schema s;
  EXPECT_EQ(sql(r::update(s.pet).values({{"name", r::func::upper(s.pet.c("name"))}, {"owner_id", s.pet.c("owner_id") + 1}})),
            "UPDATE pet SET name=upper(pet.name), owner_id=pet.owner_id + ?");
}

TEST(SqlCompile, ReservedAndOddIdentifiersAreQuoted) {
  r::Table user{"user", {r::Column("id", r::Integer()).primary_key(), r::Column("order", r::Integer()),
                         r::Column("Full Name", r::String()), r::Column("say \"hi\"", r::Text())}};
  EXPECT_EQ(sql(r::select(user).where(user.c("order") == 1)),
            "SELECT \"user\".id, \"user\".\"order\", \"user\".\"Full Name\", \"user\".\"say \"\"hi\"\"\" FROM \"user\" "
            "WHERE \"user\".\"order\" = ?");
}

TEST(SqlCompile, HostileValueNeverReachesSqlText) {
  Schema s;
  std::string evil = "'); DROP TABLE x; --";
  auto c = r::compile(r::select(s.pet).where(s.pet.c("name") == evil), r::dialect_for("sqlite"));
  EXPECT_EQ(c.sql.find("DROP"), std::string::npos);
  std::vector<r::Value> literals;
  r::cache_key(r::select(s.pet).where(s.pet.c("name") == evil), &literals);
  auto bound = r::bind_parameters(c, literals, {});
  ASSERT_EQ(bound.size(), 1u);
  EXPECT_EQ(bound[0].as_text(), evil);
}

TEST(SqlCompile, TextNamedParameters) {
  auto c = r::compile(r::text("SELECT * FROM t WHERE a = :a AND b::text = ':x' AND c = :a"), r::dialect_for("sqlite"));
  EXPECT_EQ(c.sql, "SELECT * FROM t WHERE a = ? AND b::text = ':x' AND c = ?");
  ASSERT_EQ(c.slots.size(), 2u);
  EXPECT_EQ(c.slots[0].name, "a");
  auto bound = r::bind_parameters(c, {}, {{"a", 7}});
  EXPECT_EQ(bound[1].as_int(), 7);
  EXPECT_THROW(r::bind_parameters(c, {}, {{"b", 7}}), r::ArgumentError);
}

TEST(SqlCompile, UnknownColumnNamesTheColumns) {
  Schema s;
  try {
    s.pet.c("nmae");
    FAIL() << "expected ArgumentError";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'nmae'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("id, name, species, owner_id"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r::insert(s.pet).values({{"nope", 1}}), r::ArgumentError);
}

TEST(SqlCacheKey, SameShapeSameKeyDifferentValues) {
  Schema s;
  std::vector<r::Value> a, b;
  auto ka = r::cache_key(r::select(s.pet).where(s.pet.c("name") == "Rex").limit(5), &a);
  auto kb = r::cache_key(r::select(s.pet).where(s.pet.c("name") == "Tom").limit(9), &b);
  EXPECT_EQ(ka, kb);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].as_text(), "Rex");
  EXPECT_EQ(b[1].as_int(), 9);
  EXPECT_NE(ka, r::cache_key(r::select(s.pet).where(s.pet.c("species") == "Rex").limit(5)));
  EXPECT_NE(r::cache_key(r::select({s.pet.c("id")}).where(s.pet.c("id").in_({1, 2}))),
            r::cache_key(r::select({s.pet.c("id")}).where(s.pet.c("id").in_({1, 2, 3}))));
}

TEST(SqlCacheKey, LiteralOrderMatchesPlaceholderOrder) {
  // Literals sit in columns, a FROM subquery, WHERE, HAVING, ORDER BY and LIMIT:
  // the key's collection order must equal the compiler's slot order.
  Schema s;
  auto sub = r::select({s.pet.c("owner_id")}).where(s.pet.c("species") == "sub").subquery("sq");
  auto q = r::select({(s.owner.c("id") + 100).label("x")})
               .select_from(r::From(s.owner).join(sub, sub.c("owner_id") == s.owner.c("id")))
               .where(s.owner.c("name") == "where")
               .group_by({s.owner.c("id")})
               .having(r::func::count() > 200)
               .order_by({s.owner.c("id") * 300})
               .limit(400);
  std::vector<r::Value> literals;
  r::cache_key(q, &literals);
  auto c = r::compile(q, r::dialect_for("sqlite"));
  auto bound = r::bind_parameters(c, literals, {});
  std::vector<r::Value> expected{100, "sub", "where", 200, 300, 400};
  EXPECT_EQ(bound, expected);
}
