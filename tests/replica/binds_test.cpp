// Binds: models mapped to other databases (Flask-SQLAlchemy's __bind_key__
// and SQLALCHEMY_BINDS). A session sends each model's statements to its bind,
// commits one transaction per bind, and create_all makes each bind's tables in
// its own database: SQLite beside PostgreSQL, and two PostgreSQL databases.
// A relationship across binds loads with one statement per database, and is
// declared in neither database as a constraint.
#include <random>
#include <string>

#include "replica/replica_fixture.hpp"
#include "retort/migrate.hpp"
#include "support/temp_dir.hpp"

namespace r = retort;

namespace bound {

struct Invoice;
struct Customer {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Invoice> invoices;  // backref "customer"
};
struct Invoice {  // lives in the "ledger" database
  std::int64_t id = 0;
  std::int64_t customer_id = 0;  // refers to the default bind's bind_customer.id
  double amount = 0;
};

}  // namespace bound

template <>
struct retort::Mapping<bound::Customer> {
  static void map(Mapper<bound::Customer>& m) {
    m.table("bind_customer");
    m.column(&bound::Customer::id, "id").primary_key();
    m.column(&bound::Customer::name, "name", String(50)).unique();
    m.relationship(&bound::Customer::invoices, "invoices").backref("customer").cascade("all, delete-orphan");
  }
};

template <>
struct retort::Mapping<bound::Invoice> {
  static void map(Mapper<bound::Invoice>& m) {
    m.table("bind_invoice").bind_key("ledger");
    m.column(&bound::Invoice::id, "id").primary_key();
    m.column(&bound::Invoice::customer_id, "customer_id").foreign_key("bind_customer.id");
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

/// Default bind on SQLite, the ledger on the PostgreSQL primary, tables created.
class BindsRelated : public Binds {
 protected:
  void SetUp() override {
    Binds::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    config_.set("DATABASE_URL", "sqlite:///" + (dir_ / "main.db").string());
    config_.set("DATABASE_URL_LEDGER", primary_url());
    db_ = std::make_unique<r::Database>(config_);
    db_->create_all();
  }
  /// Ann with two invoices, added through the relationship only.
  void add_ann() {
    auto s = db_->session();
    auto ann = s.add(Customer{.name = "Ann"});
    ann->invoices.append(s.add(Invoice{.amount = 12.5}));
    ann->invoices.append(s.add(Invoice{.amount = 7.5}));
    s.commit();
  }
  r::testing::TempDir dir_;
  r::Config config_;
  std::unique_ptr<r::Database> db_;
};

TEST_F(BindsRelated, AFlushCopiesTheKeyAcrossDatabases) {
  add_ann();
  auto s = db_->session();
  auto ann = s.query<Customer>().one();
  auto invoices = s.query<Invoice>().all();
  ASSERT_EQ(invoices.size(), 2u);
  for (auto& i : invoices) EXPECT_EQ(i->customer_id, ann->id) << "the customer was inserted first, in SQLite";
}

TEST_F(BindsRelated, LazyLoadsReadTheTargetsDatabase) {
  add_ann();
  auto s = db_->session();
  auto ann = s.query<Customer>().one();
  auto main_before = db_->engine().stats().statements;
  auto ledger_before = db_->engine("ledger").stats().statements;
  ASSERT_EQ(ann->invoices.size(), 2u);
  EXPECT_EQ(db_->engine("ledger").stats().statements, ledger_before + 1) << "one SELECT in the ledger";
  EXPECT_EQ(db_->engine().stats().statements, main_before) << "nothing in the customer's database";
  auto invoice = ann->invoices[0];
  EXPECT_EQ(r::backref<&Customer::invoices>(invoice).get(), ann) << "the backref is set by the load";
  auto fresh = db_->session();
  auto alone = fresh.query<Invoice>().first();
  main_before = db_->engine().stats().statements;
  EXPECT_EQ(r::backref<&Customer::invoices>(alone)->name, "Ann");
  EXPECT_EQ(db_->engine().stats().statements, main_before + 1) << "the many-to-one read the customer's database";
}

TEST_F(BindsRelated, SelectinloadReadsEachDatabaseOnce) {
  add_ann();
  {
    auto s = db_->session();
    s.add(Customer{.name = "Bob"});
    s.commit();
  }
  auto s = db_->session();
  auto main_before = db_->engine().stats().statements;
  auto ledger_before = db_->engine("ledger").stats().statements;
  auto customers = s.query<Customer>().options(r::selectinload(&Customer::invoices)).order_by("name").all();
  ASSERT_EQ(customers.size(), 2u);
  EXPECT_EQ(customers[0]->invoices.size(), 2u);
  EXPECT_EQ(customers[1]->invoices.size(), 0u);
  EXPECT_EQ(db_->engine().stats().statements, main_before + 1);
  EXPECT_EQ(db_->engine("ledger").stats().statements, ledger_before + 1) << "one IN statement for both customers";
}

TEST_F(BindsRelated, ACascadeDeleteReachesTheOtherDatabase) {
  add_ann();
  {
    auto s = db_->session();
    s.delete_(s.query<Customer>().one());
    s.commit();
  }
  auto s = db_->session();
  EXPECT_EQ(s.query<Customer>().count(), 0);
  EXPECT_EQ(s.query<Invoice>().count(), 0) << "delete-orphan removed the invoices in the ledger";
}

TEST_F(BindsRelated, AJoinAcrossDatabasesIsRefusedNamingBoth) {
  add_ann();
  auto s = db_->session();
  auto expect_refused = [](auto&& run, const char* what) {
    try {
      run();
      ADD_FAILURE() << what << " joined across databases";
    } catch (const r::ArgumentError& e) {
      std::string m = e.what();
      for (const char* part : {"the default bind", "bind 'ledger'", "cannot cross databases", "selectinload"})
        EXPECT_NE(m.find(part), std::string::npos) << what << ": " << m;
    }
  };
  expect_refused([&] { (void)s.query<Customer>().options(r::joinedload(&Customer::invoices)).all(); }, "joinedload");
  expect_refused([&] { (void)s.query<Customer>().join(&Customer::invoices).all(); }, "join()");
  expect_refused([&] { (void)s.query<Customer>().options(r::contains_eager(&Customer::invoices)).all(); },
                 "contains_eager");
  EXPECT_EQ(s.query<Invoice>().count(), 2) << "nothing was lost";
}

TEST_F(BindsRelated, ExecuteReadsTheBindItNamesAndNamesAnUnknownOne) {
  add_ann();
  auto s = db_->session();
  auto invoices = r::select({r::func::count()}).select_from(*r::class_info<Invoice>().table);
  EXPECT_EQ(s.execute(invoices, {}, "ledger").scalar<std::int64_t>(), 2);
  try {
    (void)s.execute(invoices, {}, "ledgr");
    FAIL() << "a bind key the session has no engine for was accepted";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("bind key 'ledgr'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DATABASE_URL_LEDGR"), std::string::npos) << e.what();
  }
}

TEST_F(BindsRelated, TheKeyIsNoConstraintInEitherDatabase) {
  // The model relates through it; the ledger's table declares no foreign key,
  // and autogenerate, comparing each bind with its database, finds nothing to do.
  EXPECT_EQ(r::class_info<Invoice>().table->foreign_keys().size(), 1u);
  EXPECT_TRUE(r::mapped_metadata("ledger").find("bind_invoice")->foreign_keys().empty());
  for (const std::string key : {"", "ledger"}) {
    auto conn = db_->engine(key).connect();
    auto reflected = db_->engine(key).dialect().reflect_table(conn, key.empty() ? "bind_customer" : "bind_invoice");
    EXPECT_TRUE(reflected.foreign_keys().empty()) << "bind '" << key << "'";
    auto diff = r::migrate::compare(r::mapped_metadata(key), conn);
    EXPECT_TRUE(diff.empty()) << "bind '" << key << "': " << diff.upgrade.size() << " operations";
  }
  auto s = db_->session();
  s.add(Invoice{.customer_id = 999, .amount = 1});  // no such customer, and no database to say so
  s.commit();
  EXPECT_EQ(s.query<Invoice>().count(), 1);
}

}  // namespace
