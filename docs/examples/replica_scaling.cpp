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
struct Customer {
  std::int64_t id = 0;
  std::string name;
};
struct Invoice {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;  // a plain column: a foreign key cannot cross databases
  double amount = 0;
};
template <>
struct r::Mapping<Customer> {
  static void map(r::Mapper<Customer>& m) {
    m.column(&Customer::id, "id").primary_key();
    m.column(&Customer::name, "name", r::String(50));
  }
};
template <>
struct r::Mapping<Invoice> {
  static void map(r::Mapper<Invoice>& m) {
    m.bind_key("ledger");  // __bind_key__ = "ledger": lives in DATABASE_URL_LEDGER's database
    m.column(&Invoice::id, "id").primary_key();
    m.column(&Invoice::customer_id, "customer_id");
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
  session.flush();                                               // INSERT on the primary
  session.add(Invoice{.customer_id = ann->id, .amount = 12.5});  // INSERT in the ledger
  session.commit();                                              // COMMIT in each database
  auto customers = session.query<Customer>().all();  // Ann: from a replica that has replayed the commit, else the primary
  // [session]

  std::cout << "customers: " << customers.size() << "\n";
  // [replica]
  auto in_recovery = r::select({r::func::call("pg_is_in_recovery", {})});
  auto later = db.session();
  bool later_on_replica = later.execute(in_recovery).scalar<bool>();  // true: served by the replica
  // [replica]
  std::cout << "a new session reads on the replica: " << (later_on_replica ? "yes" : "no") << "\n";
  return customers.size() == 1 && later_on_replica ? 0 : 1;
}
