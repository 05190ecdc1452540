// Binds: models mapped to other databases (Flask-SQLAlchemy's __bind_key__
// and SQLALCHEMY_BINDS). A session sends each model's statements to its bind,
// commits one transaction per bind, and create_all makes each bind's tables in
// its own database: SQLite beside PostgreSQL, and two PostgreSQL databases.
#include <random>
#include <string>

#include "replica/replica_fixture.hpp"
#include "support/temp_dir.hpp"

namespace r = retort;

namespace bound {

struct Customer {
  std::int64_t id = 0;
  std::string name;
};
struct Invoice {  // lives in the "ledger" database
  std::int64_t id = 0;
  std::int64_t customer_id = 0;  // a plain column: a foreign key cannot cross databases
  double amount = 0;
};

}  // namespace bound

template <>
struct retort::Mapping<bound::Customer> {
  static void map(Mapper<bound::Customer>& m) {
    m.table("bind_customer");
    m.column(&bound::Customer::id, "id").primary_key();
    m.column(&bound::Customer::name, "name", String(50)).unique();
  }
};

template <>
struct retort::Mapping<bound::Invoice> {
  static void map(Mapper<bound::Invoice>& m) {
    m.table("bind_invoice").bind_key("ledger");
    m.column(&bound::Invoice::id, "id").primary_key();
    m.column(&bound::Invoice::customer_id, "customer_id");
    m.column(&bound::Invoice::amount, "amount");
  }
};

namespace {

using bound::Customer;
using bound::Invoice;

/// Whether `table` exists in the database of `engine`.
bool has_table(r::Engine& engine, const std::string& table) {
  auto conn = engine.connect();
  return engine.dialect().has_table(conn, table);
}

class Binds : public r::testing::ReplicaTest {
 protected:
  void SetUp() override {
    // Binds need only the primary, but run in the replica cluster with the rest of this label.
    ReplicaTest::SetUp();
  }
  /// Stores a customer in the default bind and two invoices in the ledger, in one session.
  void write_both(r::Database& db) {
    db.create_all();
    auto s = db.session();
    auto ann = s.add(Customer{.name = "Ann"});
    s.flush();
    s.add(Invoice{.customer_id = ann->id, .amount = 12.5});
    s.add(Invoice{.customer_id = ann->id, .amount = 7.5});
    s.commit();
  }
  /// What each database holds: customers where they belong, invoices in the ledger only.
  void expect_each_in_its_database(r::Database& db) {
    EXPECT_TRUE(has_table(db.engine(), "bind_customer"));
    EXPECT_FALSE(has_table(db.engine(), "bind_invoice"));
    EXPECT_TRUE(has_table(db.engine("ledger"), "bind_invoice"));
    EXPECT_FALSE(has_table(db.engine("ledger"), "bind_customer"));
    auto s = db.session();
    auto ann = s.query<Customer>().one();
    auto invoices = s.query<Invoice>().filter(r::col(&Invoice::customer_id) == ann->id).all();
    ASSERT_EQ(invoices.size(), 2u);
    EXPECT_DOUBLE_EQ(invoices[0]->amount + invoices[1]->amount, 20.0);
  }
};

TEST_F(Binds, SqliteAndPostgresEachHoldTheirOwnModels) {
  r::testing::TempDir dir;
  r::Config config;
  config.set("DATABASE_URL", "sqlite:///" + (dir / "main.db").string());
  config.set("DATABASE_URL_LEDGER", primary_url());
  r::Database db(config);
  EXPECT_EQ(db.bind_keys(), std::vector<std::string>{"ledger"});
  write_both(db);
  expect_each_in_its_database(db);
  EXPECT_EQ(db.engine("ledger").dialect().name(), "postgresql");
}

TEST_F(Binds, TwoPostgresDatabasesEachHoldTheirOwnModels) {
  // A second database on the server, beside the test's schema in the first.
  static std::mt19937_64 random{std::random_device{}()};
  std::string name = "retort_ledger_" + std::to_string(random() % 1000000000);
  std::string server = r::testing::env_or_empty("RETORT_TEST_POSTGRES_URL");
  r::Engine admin(server);
  admin.connect().exec_driver_sql("CREATE DATABASE " + name);
  auto url = r::Url::parse(server);
  url.database = name;
  {
    r::Config config;
    config.set("DATABASE_URL", primary_url());
    config.set("SQLALCHEMY_BINDS", "{\"ledger\": \"" + url.render(false) + "\"}");
    r::Database db(config);
    write_both(db);
    expect_each_in_its_database(db);
    EXPECT_EQ(db.engine("ledger").url().database, name);
  }
  admin.connect().exec_driver_sql("DROP DATABASE " + name + " WITH (FORCE)");
}

TEST_F(Binds, AFailedFlushInOneBindRollsBackTheOther) {
  r::testing::TempDir dir;
  r::Config config;
  config.set("DATABASE_URL", "sqlite:///" + (dir / "main.db").string());
  config.set("DATABASE_URL_LEDGER", primary_url());
  r::Database db(config);
  db.create_all();
  {
    auto s = db.session();
    s.add(Customer{.name = "Ann"});
    s.commit();
  }
  auto s = db.session();
  s.add(Invoice{.customer_id = 1, .amount = 1});
  s.add(Customer{.name = "Ann"});  // unique name taken: this bind's INSERT fails
  EXPECT_THROW(s.commit(), r::IntegrityError);
  s.rollback();
  EXPECT_EQ(s.query<Invoice>().count(), 0) << "the ledger's part of the flush was rolled back too";
  EXPECT_EQ(s.query<Customer>().count(), 1);
}

TEST_F(Binds, ASessionWithoutTheBindsEngineNamesTheKeyAndTheSetting) {
  r::Engine engine(primary_url());
  r::Session s(engine);
  try {
    (void)s.query<Invoice>().all();
    FAIL() << "a model of an unconfigured bind was queried";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("bind key 'ledger'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DATABASE_URL_LEDGER"), std::string::npos) << e.what();
  }
  r::Config config;
  config.set("DATABASE_URL", primary_url());
  r::Database db(config);
  EXPECT_THROW(db.create_all(), r::ConfigError) << "create_all needs the ledger's URL";
}

TEST(BindsConfig, MalformedBindsAreConfigErrorsNamingTheSetting) {
  for (const std::string binds : {"not json", "[\"a\"]", "{\"ledger\": 5}", "{\"ledger\": \"no url\"}"}) {
    r::Config config;
    config.set("SQLALCHEMY_BINDS", binds);
    try {
      (void)config.binds();
      ADD_FAILURE() << "accepted SQLALCHEMY_BINDS=" << binds;
    } catch (const r::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("SQLALCHEMY_BINDS"), std::string::npos) << e.what();
    }
  }
  r::Config config;
  config.set("DATABASE_URL_AUDIT", "sqlite:///audit.db");
  config.set("SQLALCHEMY_BINDS", R"({"audit": "sqlite:///other.db", "ledger": "sqlite:///ledger.db"})");
  auto binds = config.binds();
  ASSERT_EQ(binds.size(), 2u);
  EXPECT_EQ(binds.at("audit").database, "audit.db") << "DATABASE_URL_<KEY> wins over SQLALCHEMY_BINDS";
  EXPECT_EQ(binds.at("ledger").database, "ledger.db");
}

}  // namespace
