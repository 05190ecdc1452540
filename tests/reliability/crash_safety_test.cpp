// Crash safety on SQLite, with real processes: a child (reliability_crash_child)
// commits a unit of work of 10,000 objects through a Session, or upgrades a
// database through several revisions, and is killed with SIGKILL at points
// spread before, during and after the work. After each kill the file passes
// `PRAGMA integrity_check`, and holds all of the work or none of it: every
// row committed before is there, and a migration's version table names
// exactly the schema and data the database has (no half-applied revision).
//
// The kill points are random (the seed is printed; RETORT_CRASH_SEED=N
// repeats a run), spread over the phases timed by a calibration run, and
// classified afterwards by the markers the child wrote before it died.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "migrate/migrate_fixture.hpp"
#include "reliability/crash_child.hpp"
#include "retort/migrate.hpp"
#include "support/temp_dir.hpp"

namespace r = retort;
namespace m = retort::migrate;
namespace fs = std::filesystem;
using reliability::ChildProcess;
using reliability::Reading;

namespace {

constexpr std::int64_t kObjects = 10'000;    // the child's unit of work
constexpr std::int64_t kCommittedBefore = 1'000;  // rows of batch 0, committed before the child runs
constexpr int kKillPoints = 60;

std::string url_of(const fs::path& file) { return "sqlite:///" + file.string(); }

std::uint64_t seed() {
  if (const char* s = std::getenv("RETORT_CRASH_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

/// A copy of `from` at `to`, without the -wal and -shm files a previous kill left there.
void fresh_copy(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(to.string() + suffix);
  fs::copy_file(from, to);
}

/// `PRAGMA integrity_check`: "ok", or what SQLite found.
std::string integrity(r::Connection& conn) {
  std::string out;
  for (auto& row : conn.exec_driver_sql("PRAGMA integrity_check").all()) out += row[0].as_text() + ";";
  return out == "ok;" ? "ok" : out;
}

std::int64_t scalar(r::Connection& conn, const std::string& sql) {
  return conn.exec_driver_sql(sql).scalar<std::int64_t>();
}

/// Where a kill landed, from what the child wrote before it died.
enum class Landed { before, during, after };
const char* name(Landed l) { return l == Landed::before ? "before" : l == Landed::during ? "during" : "after"; }

/// Seconds, from the child's start, to its markers: the mean of the calibration runs.
struct Timing {
  double begin = 0;        ///< B: about to commit (upgrade)
  double last_statement = 0;  ///< the last S, from B
  double done = 0;         ///< C: commit() (upgrade()) returned, from B
  double exit = 0;         ///< E: closed, from B
  double last_commit = 0;  ///< the last K (a COMMIT about to run), from B
  std::size_t statements = 0;
};

/// Runs the child to its end `runs` times (on fresh copies made by `prepare`)
/// and times its phases, as it reports them (the parent does not read while
/// it runs: 10,000 markers read as they come would slow it down).
template <class Prepare>
Timing calibrate(const std::vector<std::string>& args, Prepare prepare, int runs) {
  Timing t;
  for (int i = 0; i < runs; ++i) {
    prepare();
    ChildProcess child(args);
    EXPECT_EQ(child.wait(), 0) << child.markers();
    auto times = child.reported_times();  // B, last S, C, E, last K
    EXPECT_EQ(times.size(), 5u) << child.markers();
    if (times.size() != 5) return t;
    t.begin += times[0] / runs;
    t.last_statement += (times[1] - times[0]) / runs;
    t.done += (times[2] - times[0]) / runs;
    t.exit += (times[3] - times[0]) / runs;
    t.last_commit += (times[4] - times[0]) / runs;
    t.statements = child.count('S');
  }
  return t;
}

/// When to kill a child: `delay` seconds after its start, or after it wrote
/// its `statements`-th S marker, or its first K marker (COMMIT), or its C marker. Waiting for markers
/// aims the kill at a phase of the work however fast the child runs this time.
struct KillAt {
  enum Anchor { start, statement, commit, done } anchor = start;
  std::size_t statements = 0;
  double delay = 0;
};

/// Starts the child, kills it as `at` says, and returns it (dead, its markers read).
std::unique_ptr<ChildProcess> run_and_kill(const std::vector<std::string>& args, const KillAt& at) {
  auto child = std::make_unique<ChildProcess>(args);
  bool reached = at.anchor == KillAt::start ||
                 (at.anchor == KillAt::statement && child->wait_for('S', at.statements, std::chrono::minutes(2))) ||
                 (at.anchor == KillAt::commit && child->wait_for('K', std::chrono::minutes(2))) ||
                 (at.anchor == KillAt::done && child->wait_for('C', std::chrono::minutes(2)));
  EXPECT_TRUE(reached) << "the child did not get there: " << child->markers();
  if (at.delay > 0) std::this_thread::sleep_for(std::chrono::duration<double>(at.delay));
  child->kill();
  return child;
}

double uniform(std::mt19937_64& random, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, std::max(lo, hi))(random);
}

// ---- (a) a unit of work of 10,000 objects ------------------------------------------

TEST(CrashSafety, KilledCommitOfTenThousandObjectsLeavesAllOrNone) {
  auto run_seed = seed();
  SCOPED_TRACE("RETORT_CRASH_SEED=" + std::to_string(run_seed));
  std::mt19937_64 random(run_seed);
  r::testing::TempDir dir;
  const fs::path templ = dir / "template.db", db = dir / "killed.db";
  {
    r::Engine engine(url_of(templ));
    r::MetaData md;
    md.add(*r::class_info<Reading>().table);
    md.create_all(engine);
    r::Session s(engine);
    for (std::int64_t seq = 0; seq < kCommittedBefore; ++seq)
      s.add(Reading{.batch = 0, .seq = seq, .payload = reliability::payload_of(seq)});
    s.commit();
  }
  ASSERT_FALSE(fs::exists(templ.string() + "-wal")) << "the template was not checkpointed when its engine closed";

  // The rows the child's unit of work adds, as sums to compare whole.
  std::int64_t payload_bytes = 0;
  for (std::int64_t seq = 0; seq < kObjects; ++seq) payload_bytes += static_cast<std::int64_t>(reliability::payload_of(seq).size());
  const std::vector<std::string> args{"commit", url_of(db), std::to_string(kObjects)};

  auto started = std::chrono::steady_clock::now();
  Timing t = calibrate(args, [&] { fresh_copy(templ, db); }, 2);
  ASSERT_GT(t.statements, 1u);
  std::cout << "[ timing   ] start to B " << t.begin * 1000 << " ms; from B: last INSERT " << t.last_statement * 1000
            << " ms, COMMIT " << t.last_commit * 1000 << " ms, commit() returned " << t.done * 1000 << " ms, closed "
            << t.exit * 1000 << " ms; " << t.statements << " INSERT statements\n";

  // A sixth before the commit starts, a third during its INSERTs, a third
  // from its COMMIT to commit() returning, a sixth after (closing: the WAL is
  // checkpointed). Where each landed → kills after which all rows were there, none.
  std::map<std::string, std::pair<int, int>> landed;
  std::map<Landed, int> by_phase;
  for (int k = 0; k < kKillPoints; ++k) {
    fresh_copy(templ, db);
    KillAt at;
    switch (k % 6) {
      case 0: at = {KillAt::start, 0, uniform(random, 0, t.begin)}; break;
      case 1:
      case 2: at = {KillAt::statement, std::uniform_int_distribution<std::size_t>(1, t.statements - 1)(random), 0}; break;
      case 3:
      case 4: {
        // Squared: more kills early in the window, where the COMMIT itself runs
        // (the rest is the session expiring its 10,000 objects).
        double u = uniform(random, 0, 1);
        at = {KillAt::commit, 0, u * u * (t.done - t.last_commit)};
        break;
      }
      default: at = {KillAt::done, 0, uniform(random, 0, (t.exit - t.done) * 1.2)}; break;
    }
    auto killed = run_and_kill(args, at);
    if (HasFailure()) return;
    auto& child = *killed;
    Landed where = !child.saw('B') ? Landed::before : child.saw('C') ? Landed::after : Landed::during;
    ++by_phase[where];
    if (std::getenv("RETORT_CRASH_VERBOSE"))
      std::cout << k << ": " << at.delay * 1000 << " ms after " << (at.anchor == KillAt::start ? "start" : at.anchor == KillAt::done ? "C" : "S " + std::to_string(at.statements)) << ": " << child.markers() << "\n";
    auto& tally = landed[where != Landed::during ? name(where)
                         : child.count('S') < t.statements ? "during: INSERTs"
                         : !child.saw('K')                 ? "during: after the INSERTs"
                                                           : "during: COMMIT (or after it, before commit() returned)"];
    SCOPED_TRACE("kill point " + std::to_string(k) + " landed " + name(where) + " (markers " + child.markers() + ")");

    r::Engine engine(url_of(db));
    auto conn = engine.connect();
    ASSERT_EQ(integrity(conn), "ok");
    EXPECT_EQ(scalar(conn, "SELECT count(*) FROM crash_reading WHERE batch = 0"), kCommittedBefore)
        << "a row committed before the child ran is gone";
    std::int64_t rows = scalar(conn, "SELECT count(*) FROM crash_reading WHERE batch = 1");
    ASSERT_TRUE(rows == 0 || rows == kObjects) << rows << " of the " << kObjects << " objects survived: a partial commit";
    if (where == Landed::after) {
      ASSERT_EQ(rows, kObjects) << "commit() had returned, yet the rows are gone";
    }
    if (rows == kObjects) {
      EXPECT_EQ(scalar(conn, "SELECT count(DISTINCT seq) FROM crash_reading WHERE batch = 1"), kObjects);
      EXPECT_EQ(scalar(conn, "SELECT sum(seq) FROM crash_reading WHERE batch = 1"), kObjects * (kObjects - 1) / 2);
      EXPECT_EQ(scalar(conn, "SELECT sum(length(payload)) FROM crash_reading WHERE batch = 1"), payload_bytes);
    }
    ++(rows == 0 ? tally.second : tally.first);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::ostringstream summary;
  summary << kKillPoints << " kill points in " << seconds << " s:";
  for (auto& [what, n] : landed)
    summary << " " << what << " " << n.first + n.second << " (all rows " << n.first << ", none " << n.second << ");";
  std::cout << "[ summary  ] " << summary.str() << "\n";
  RecordProperty("kill_points", summary.str());
  EXPECT_GE(by_phase[Landed::during], 5) << "too few kills landed inside the commit to test it: " << summary.str();
  EXPECT_GE(by_phase[Landed::before], 1) << summary.str();
  EXPECT_GE(by_phase[Landed::after], 1) << summary.str();
}

// ---- (b) a migration upgrade ---------------------------------------------------------

// a1 is where the template stands, with its rows; the child upgrades a1 → e5.
// b2: a column added and filled; c3: two SQLite table rebuilds (a column made
// NOT NULL, a column dropped under a foreign key); d4: a table created and
// filled from the others, a unique constraint added (a rebuild); e5: a column
// renamed, one dropped, one made NOT NULL (two rebuilds).
const std::vector<std::pair<std::string, std::string>> kRevisions = {
    {"a1", R"(upgrade:
  - create_table:
      name: account
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: name, type: String(50), nullable: false}
        - {name: balance, type: Integer(), nullable: true}
      primary_key: {name: pk_account, columns: [id]}
  - create_table:
      name: entry
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: account_id, type: Integer(), nullable: false}
        - {name: amount, type: Integer(), nullable: false}
        - {name: note, type: String(100), nullable: true}
      primary_key: {name: pk_entry, columns: [id]}
      foreign_keys:
        - {name: fk_entry_account_id_account, columns: [account_id], referred_table: account, referred_columns: [id]}
  - create_index: {table: entry, name: ix_entry_account_id, columns: [account_id], unique: false}
)"},
    {"b2", R"(upgrade:
  - add_column: {table: account, column: {name: email, type: String(120), nullable: true}}
  - execute: "UPDATE account SET email = name || '@example.com'"
  - create_index: {table: account, name: ix_account_email, columns: [email], unique: false}
)"},
    {"c3", R"(upgrade:
  - execute: "UPDATE entry SET note = 'note ' || id WHERE note IS NULL"
  - alter_column: {table: entry, column: note, type: Text(), nullable: false}
  - drop_column: {table: account, column: balance}
)"},
    {"d4", R"(upgrade:
  - create_table:
      name: ledger
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: account_id, type: Integer(), nullable: false}
        - {name: total, type: Integer(), nullable: true}
      primary_key: {name: pk_ledger, columns: [id]}
      foreign_keys:
        - {name: fk_ledger_account_id_account, columns: [account_id], referred_table: account, referred_columns: [id]}
  - execute: "INSERT INTO ledger (account_id, total) SELECT account_id, sum(amount) FROM entry GROUP BY account_id"
  - add_constraint: {table: account, unique: {name: uq_account_email, columns: [email]}}
)"},
    {"e5", R"(upgrade:
  - alter_column: {table: account, column: name, new_name: full_name}
  - drop_column: {table: entry, column: note}
  - alter_column: {table: ledger, column: total, nullable: false}
)"},
};

constexpr int kAccounts = 3'000;
constexpr int kEntries = 15'000;

void write_revisions(const fs::path& versions) {
  fs::create_directories(versions);
  std::string down;
  for (auto& [id, body] : kRevisions) {
    std::ofstream(versions / (id + ".yaml")) << "revision: " << id << "\ndown_revision: " << (down.empty() ? "null" : down)
                                             << "\nmessage: " << id << "\n" << body;
    down = id;
  }
}

using r::testing::schema_text;  // the live schema as YAML

/// Every row of every table but the version table, in key order.
std::string data_text(r::Connection& conn) {
  std::ostringstream out;
  auto names = conn.dialect().table_names(conn);
  std::sort(names.begin(), names.end());
  for (auto& table : names) {
    if (table == "retort_version") continue;
    out << "[" << table << "]\n";
    for (auto& row : conn.exec_driver_sql("SELECT * FROM " + conn.dialect().quote(table) + " ORDER BY 1").all()) {
      for (auto& v : row) out << v.repr(1000) << ",";
      out << "\n";
    }
  }
  return out.str();
}

std::vector<std::string> versions_of(r::Connection& conn) {
  std::vector<std::string> out;
  for (auto& row : conn.exec_driver_sql("SELECT version_num FROM retort_version").all()) out.push_back(row[0].as_text());
  return out;
}

struct State {
  std::string schema, data;
};

/// "" when equal, else the first line that differs (the texts are long).
std::string first_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  std::istringstream e(expected), a(actual);
  std::string el, al;
  for (int line = 1;; ++line) {
    bool more_e = static_cast<bool>(std::getline(e, el)), more_a = static_cast<bool>(std::getline(a, al));
    if (!more_e && !more_a) return "they differ";
    if (el != al || more_e != more_a)
      return "line " + std::to_string(line) + ": expected '" + (more_e ? el : "(end)") + "', found '" + (more_a ? al : "(end)") + "'";
  }
}

TEST(CrashSafety, KilledMigrationUpgradeLeavesTheRecordedRevisionExactly) {
  auto run_seed = seed();
  SCOPED_TRACE("RETORT_CRASH_SEED=" + std::to_string(run_seed));
  std::mt19937_64 random(run_seed);
  r::testing::TempDir dir;
  const fs::path versions = dir / "versions", templ = dir / "template.db", db = dir / "killed.db";
  write_revisions(versions);
  auto graph = m::RevisionGraph::load(versions);
  {
    r::Engine engine(url_of(templ));
    m::Migrator(engine, graph).upgrade("a1");
    auto conn = engine.connect();
    auto tx = conn.begin();
    conn.exec_driver_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                         std::to_string(kAccounts) +
                         ") INSERT INTO account (id, name, balance) SELECT i, 'account ' || i, i * 10 FROM n");
    conn.exec_driver_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                         std::to_string(kEntries) + ") INSERT INTO entry (id, account_id, amount, note) SELECT i, 1 + i % " +
                         std::to_string(kAccounts) + ", i * 7 % 1000, CASE WHEN i % 3 = 0 THEN NULL ELSE 'entry ' || i END FROM n");
    tx.commit();
  }
  ASSERT_FALSE(fs::exists(templ.string() + "-wal"));

  // What the database is at each revision, from upgrades that were not interrupted.
  std::map<std::string, State> expected;
  for (auto& [id, body] : kRevisions) {
    fresh_copy(templ, db);
    r::Engine engine(url_of(db));
    m::Migrator(engine, graph).upgrade(id);
    auto conn = engine.connect();
    expected[id] = {schema_text(conn), data_text(conn)};
  }
  ASSERT_NE(expected["a1"].schema, expected["e5"].schema);

  const std::vector<std::string> args{"upgrade", url_of(db), versions.string()};
  auto started = std::chrono::steady_clock::now();
  Timing t = calibrate(args, [&] { fresh_copy(templ, db); }, 2);
  std::cout << "[ timing   ] start to B " << t.begin * 1000 << " ms; from B: last statement " << t.last_statement * 1000
            << " ms, last COMMIT " << t.last_commit * 1000 << " ms, upgrade() returned " << t.done * 1000 << " ms, closed "
            << t.exit * 1000 << " ms; " << t.statements << " statements\n";

  // A sixth before the upgrade starts, two thirds during it (after a random
  // statement, during the next one or the revision's COMMIT), a sixth after it.
  std::map<std::string, int> landed;   // "before", "during <revision being applied>", "after"
  std::map<Landed, int> by_phase;
  std::map<std::string, int> recorded;  // the version the database holds after the kill
  const double per_statement = t.done / static_cast<double>(t.statements);
  for (int k = 0; k < kKillPoints; ++k) {
    fresh_copy(templ, db);
    KillAt at;
    switch (k % 6) {
      case 0: at = {KillAt::start, 0, uniform(random, 0, t.begin)}; break;
      case 5: at = {KillAt::done, 0, uniform(random, 0, (t.exit - t.done) * 1.2)}; break;
      default:
        at = {KillAt::statement, std::uniform_int_distribution<std::size_t>(1, t.statements)(random),
              uniform(random, 0, per_statement)};
        break;
    }
    auto killed = run_and_kill(args, at);
    if (HasFailure()) return;
    auto& child = *killed;
    Landed where = !child.saw('B') ? Landed::before : child.saw('C') ? Landed::after : Landed::during;
    std::size_t applied = child.count('R');  // revisions b2.. committed before the kill, as the child saw them
    ++by_phase[where];
    ++landed[where != Landed::during ? std::string(name(where))
                                     : "during " + kRevisions[std::min(applied + 1, kRevisions.size() - 1)].first];
    SCOPED_TRACE("kill point " + std::to_string(k) + " landed " + name(where) + " (markers " + child.markers() + ")");

    r::Engine engine(url_of(db));
    {
      auto conn = engine.connect();
      ASSERT_EQ(integrity(conn), "ok");
      auto version = versions_of(conn);
      ASSERT_EQ(version.size(), 1u) << "the version table holds " << version.size() << " rows";
      ASSERT_TRUE(expected.count(version[0])) << "unknown version " << version[0];
      ++recorded[version[0]];
      // Revisions the child reported as applied are there (a1 was there before).
      auto position = std::find_if(kRevisions.begin(), kRevisions.end(), [&](auto& p) { return p.first == version[0]; });
      EXPECT_GE(static_cast<std::size_t>(position - kRevisions.begin()), applied) << "a committed revision was lost";
      if (where == Landed::after) {
        EXPECT_EQ(version[0], "e5");
      }
      EXPECT_EQ(first_difference(expected[version[0]].schema, schema_text(conn)), "")
          << "the schema is not that of revision " << version[0];
      EXPECT_EQ(first_difference(expected[version[0]].data, data_text(conn)), "")
          << "the rows are not those of revision " << version[0];
    }
    // And the upgrade goes on from there to the end.
    try {
      m::Migrator(engine, graph).upgrade("head");
    } catch (const std::exception& e) {
      FAIL() << "the upgrade does not go on after the kill: " << e.what();
    }
    auto conn = engine.connect();
    EXPECT_EQ(first_difference(expected["e5"].schema, schema_text(conn)), "") << "after upgrading on to e5";
    EXPECT_EQ(first_difference(expected["e5"].data, data_text(conn)), "") << "after upgrading on to e5";
    if (HasFatalFailure()) return;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::ostringstream summary;
  summary << kKillPoints << " kill points in " << seconds << " s:";
  for (auto& [what, n] : landed) summary << " " << what << " " << n << ";";
  summary << " recorded version after the kill:";
  for (auto& [v, n] : recorded) summary << " " << v << " " << n << ";";
  std::cout << "[ summary  ] " << summary.str() << "\n";
  RecordProperty("kill_points", summary.str());
  EXPECT_GE(by_phase[Landed::during], 5) << "too few kills landed inside the upgrade to test it: " << summary.str();
  EXPECT_GE(recorded.size(), 3u) << "the kills did not stop the upgrade at several revisions: " << summary.str();
}

}  // namespace
