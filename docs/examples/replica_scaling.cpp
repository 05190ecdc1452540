// docs/scaling.md, as a program: a model in another database (a bind), and
// reads sent to a streaming replica with read-your-writes. Built and run as a
// test (label replica) beside the primary and replica of
// `scripts/with-postgres.sh --replica`, which give DATABASE_URL,
// DATABASE_REPLICA_URLS and DATABASE_URL_LEDGER.
#include <iostream>

#include <retort/app/database.hpp>
#include <retort/retort.hpp>

namespace r = retort;

// [models]
struct Invoice;
struct Customer {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Invoice> invoices;
};
struct Invoice {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;
  double amount = 0;
};
template <>
struct r::Mapping<Customer> {
  static void map(r::Mapper<Customer>& m) {
    m.column(&Customer::id, "id").primary_key();
    m.column(&Customer::name, "name", r::String(50));
    m.relationship(&Customer::invoices, "invoices").backref("customer");  // across databases
  }
};
template <>
struct r::Mapping<Invoice> {
  static void map(r::Mapper<Invoice>& m) {
    m.bind_key("ledger");  // __bind_key__ = "ledger": lives in DATABASE_URL_LEDGER's database
    m.column(&Invoice::id, "id").primary_key();
    m.column(&Invoice::customer_id, "customer_id").foreign_key("customer.id");  // relates; no constraint
    m.column(&Invoice::amount, "amount");
  }
};
// [models]

int main() {
  // [database]
  r::Database db{r::Config::from_env()};  // DATABASE_URL, DATABASE_REPLICA_URLS, DATABASE_URL_LEDGER
  db.drop_all();
  db.create_all();  // customer in DATABASE_URL's database, invoice in the ledger's
  // [database]

  // [session]
  auto session = db.session();
  auto ann = session.add(Customer{.name = "Ann"});
  ann->invoices.append(session.add(Invoice{.amount = 12.5}));
  session.commit();  // INSERT customer, then INSERT invoice with its customer_id in the ledger; COMMIT in each
  auto customers = session.query<Customer>().all();  // Ann: from a replica that has replayed the commit, else the primary
  // [session]

  // [across]
  auto reader = db.session();
  auto loaded = reader.query<Customer>().options(r::selectinload(&Customer::invoices)).all();  // one SELECT per database
  try {
    (void)reader.query<Customer>().options(r::joinedload(&Customer::invoices)).all();
  } catch (const r::ArgumentError& e) {
    std::cout << e.what() << "\n";  // a join cannot cross databases; load it with selectinload ...
  }
  // [across]

  std::cout << "customers: " << customers.size() << ", invoices: " << loaded.at(0)->invoices.size() << "\n";
  // [replica]
  auto in_recovery = r::select({r::func::call("pg_is_in_recovery", {})});
  auto later = db.session();
  bool later_on_replica = later.execute(in_recovery).scalar<bool>();  // true: served by the replica
  // [replica]
  std::cout << "a new session reads on the replica: " << (later_on_replica ? "yes" : "no") << "\n";
  return customers.size() == 1 && loaded.at(0)->invoices.size() == 1 && later_on_replica ? 0 : 1;
}
