// raw_sqlite.cpp: the hand-written lower bound for retort's benchmark.
//
// The eight benchmark workloads programmed straight on the sqlite3 C API, with nothing but
// the standard library around it. For every workload the program executes the SQL text
// that SQLAlchemy 1.4 executes for the same work, the same number of times, inside the same
// transactions, so the only difference left to an ORM is the ORM itself. Each distinct
// statement is prepared once per workload and then rebound; result rows are copied into
// plain structs. The anchors spec (shared/bench/anchors/README.md in the project's
// workspace) fixes the data, the checksums and the output line; see README.md beside this
// file.
//
//   raw_sqlite WORKLOAD N [--no-index] [--sql-log]
//
// WORKLOAD: insert get_by_pk lazy_n_plus_1 selectin joined m2m update to_dict, or all.

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;

// ---------------------------------------------------------------------------------------------
// Test data, as the spec defines it (sqlalchemy_orm.py beside this file generates the same).

constexpr i64 kPetsPerOwner = 10;
constexpr i64 kChannelCount = 100;
constexpr i64 kFollowsPerUser = 10;
constexpr u64 kGetSeed = 42;
constexpr u64 kFollowSeed = 7;
// selectinload() sends its IN lists in chunks of this many keys.
constexpr std::size_t kSelectinChunk = 500;

// SplitMix64, the generator both baselines use for their random draws.
class SplitMix64 {
 public:
  explicit SplitMix64(u64 seed) : x_(seed) {}
  u64 operator()() {
    u64 z = (x_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  u64 x_;
};

std::string owner_label(i64 owner) { return "owner " + std::to_string(owner); }

std::string pet_label(i64 owner, i64 nth) {
  return "pet " + std::to_string(owner) + '.' + std::to_string(nth);
}

// Species of the pet with 0-based position k (its id is k + 1); nullptr stands for NULL.
const char* species_for(i64 k) {
  static constexpr const char* kNames[] = {"cat", "dog", "parrot", "hamster"};
  return (k + 1) % 7 == 0 ? nullptr : kNames[k % 4];
}

// For users 1..n, the channels each one follows: kFollowsPerUser distinct ids per user, in
// the order they were drawn. (One small list per user, as in sqlalchemy_orm.py. A single
// flat buffer is just as good for setup, but at N = 10000 it is large enough for malloc to
// hand it back to the system, and m2m's timed allocations then take ~80 % more page faults
// than after this layout: measurably slower for reasons that have nothing to do with m2m.)
std::vector<std::vector<i64>> draw_follows(i64 n) {
  SplitMix64 draw(kFollowSeed);
  std::vector<std::vector<i64>> per_user(static_cast<std::size_t>(n));
  for (std::vector<i64>& picked : per_user) {
    while (static_cast<i64>(picked.size()) < kFollowsPerUser) {
      auto channel = static_cast<i64>(1 + draw() % static_cast<u64>(kChannelCount));
      if (std::find(picked.begin(), picked.end(), channel) == picked.end()) picked.push_back(channel);
    }
  }
  return per_user;
}

// ---------------------------------------------------------------------------------------------
// sqlite3 wrappers. Statement executions are tallied the way the spec counts them: one per
// execution that was stepped at least once (a reset ends it). BEGIN/COMMIT are run through
// Database::run_untallied and never counted, like pysqlite's own transaction control.

struct Tally {
  u64 executions = 0;
  // With --sql-log and only while a workload is timed: executions per SQL text.
  std::map<std::string, u64>* by_text = nullptr;
};

// Whitespace runs become one space and the ends are trimmed, as Python's " ".join(s.split()).
std::string squeeze_whitespace(std::string_view text) {
  std::string result;
  bool gap = false;
  for (char ch : text) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f') {
      gap = !result.empty();
      continue;
    }
    if (gap) result += ' ';
    gap = false;
    result += ch;
  }
  return result;
}

class Database {
 public:
  explicit Database(const std::filesystem::path& file) {
    int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw std::runtime_error("opening " + file.string() + ": " + why);
    }
  }
  ~Database() { sqlite3_close_v2(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  Tally& tally() { return tally_; }

  // Settings, DDL and transaction control: outside the statement count.
  void run_untallied(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string why = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw std::runtime_error(why + " (in: " + sql + ")");
    }
  }

  // First column of the first row of a verification query (never timed or counted).
  i64 integer_of(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " (in: " + sql + ")");
    }
    int rc = sqlite3_step(stmt);
    i64 value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) throw std::runtime_error(std::string("no row from: ") + sql);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
  Tally tally_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql) : db_(db.handle()), tally_(&db.tally()) {
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " (preparing: " + std::string(sql) + ")");
    }
    // std::map nodes never move, so the counter can be kept by address.
    if (tally_->by_text) per_text_ = &(*tally_->by_text)[squeeze_whitespace(sql)];
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int slot, i64 value) { checked(sqlite3_bind_int64(stmt_, slot, value)); }
  // No copy is made: the text must stay alive until the execution is over.
  void bind(int slot, std::string_view text) {
    checked(sqlite3_bind_text(stmt_, slot, text.data(), static_cast<int>(text.size()), SQLITE_STATIC));
  }
  // A C string, or SQL NULL for nullptr.
  void bind_or_null(int slot, const char* text) {
    checked(text ? sqlite3_bind_text(stmt_, slot, text, -1, SQLITE_STATIC) : sqlite3_bind_null(stmt_, slot));
  }

  // Steps once; true while there is a row to read. The first step of an execution counts it.
  bool row() {
    if (!running_) {
      running_ = true;
      ++tally_->executions;
      if (per_text_) ++*per_text_;
    }
    switch (sqlite3_step(stmt_)) {
      case SQLITE_ROW: return true;
      case SQLITE_DONE: return false;
      default:
        throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " (running: " + sqlite3_sql(stmt_) + ")");
    }
  }
  // Ends the current execution so the statement can run again; bindings are kept.
  void rewind() {
    sqlite3_reset(stmt_);
    running_ = false;
  }
  // One complete execution of a statement that returns no rows.
  void run() {
    while (row()) {
    }
    rewind();
  }

  i64 integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool null_at(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (!bytes) return {};
    return std::string(bytes, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::optional<std::string> text_or_null(int col) const {
    if (null_at(col)) return std::nullopt;
    return text(col);
  }

 private:
  void checked(int rc) const {
    if (rc != SQLITE_OK) throw std::runtime_error(std::string("bind: ") + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  Tally* tally_;
  sqlite3_stmt* stmt_ = nullptr;
  u64* per_text_ = nullptr;
  bool running_ = false;
};

// A "prefix (?, ?, ...)" query run over a list of keys in selectinload's chunks. The text
// depends on the chunk length, so there is one prepared statement per length seen (two at
// most: full chunks and the final, shorter one).
class ChunkedInQuery {
 public:
  ChunkedInQuery(Database& db, std::string_view prefix) : db_(db), prefix_(prefix) {}

  template <class RowFn>
  void run(const std::vector<i64>& keys, RowFn&& on_row) {
    for (std::size_t from = 0; from < keys.size(); from += kSelectinChunk) {
      std::size_t len = std::min(kSelectinChunk, keys.size() - from);
      Statement& stmt = for_length(len);
      for (std::size_t k = 0; k < len; ++k) stmt.bind(static_cast<int>(k + 1), keys[from + k]);
      while (stmt.row()) on_row(stmt);
      stmt.rewind();
    }
  }

 private:
  Statement& for_length(std::size_t len) {
    for (auto& [have, stmt] : prepared_) {
      if (have == len) return *stmt;
    }
    std::string sql(prefix_);
    sql += " (";
    for (std::size_t k = 0; k < len; ++k) sql += k == 0 ? "?" : ", ?";
    sql += ')';
    prepared_.emplace_back(len, std::make_unique<Statement>(db_, sql));
    return *prepared_.back().second;
  }

  Database& db_;
  std::string_view prefix_;
  std::vector<std::pair<std::size_t, std::unique_ptr<Statement>>> prepared_;
};

// ---------------------------------------------------------------------------------------------
// Schema and the statements SQLAlchemy 1.4 sends for sqlalchemy_orm.py's models. The texts
// must stay byte for byte equal to SQLAlchemy's so that --sql-log output can be diffed.

constexpr const char* kCreateTables =
    "CREATE TABLE channel (id INTEGER NOT NULL, title VARCHAR(100), PRIMARY KEY (id));"
    "CREATE TABLE owner (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL, PRIMARY KEY (id));"
    "CREATE TABLE user (id INTEGER NOT NULL, username VARCHAR(50) NOT NULL, PRIMARY KEY (id),"
    " UNIQUE (username));"
    "CREATE TABLE pet (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL, species VARCHAR(20),"
    " owner_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(owner_id) REFERENCES owner (id));"
    "CREATE TABLE user_channel (user_id INTEGER, channel_id INTEGER,"
    " FOREIGN KEY(user_id) REFERENCES user (id), FOREIGN KEY(channel_id) REFERENCES channel (id));";

// The foreign-key columns are declared index=True; --no-index leaves these out.
constexpr const char* kCreateIndexes =
    "CREATE INDEX ix_pet_owner_id ON pet (owner_id);"
    "CREATE INDEX ix_user_channel_user_id ON user_channel (user_id);"
    "CREATE INDEX ix_user_channel_channel_id ON user_channel (channel_id);";

namespace sql {
// Session.add_all + commit (1.4 inserts row by row to read each new id back).
constexpr std::string_view kAddOwner = "INSERT INTO owner (name) VALUES (?)";
constexpr std::string_view kAddPet = "INSERT INTO pet (name, species, owner_id) VALUES (?, ?, ?)";
// Session.get(Owner, pk).
constexpr std::string_view kOwnerByPk =
    "SELECT owner.id AS owner_id, owner.name AS owner_name FROM owner WHERE owner.id = ?";
// select(Owner).
constexpr std::string_view kAllOwners = "SELECT owner.id, owner.name FROM owner";
// owner.pets, lazy='select'. Columns: id, name, species, owner_id.
constexpr std::string_view kPetsOfOwner =
    "SELECT pet.id AS pet_id, pet.name AS pet_name, pet.species AS pet_species,"
    " pet.owner_id AS pet_owner_id FROM pet WHERE ? = pet.owner_id";
// selectinload(Owner.pets), followed by the IN list. Columns: owner_id, id, name, species.
constexpr std::string_view kPetsOfOwnersIn =
    "SELECT pet.owner_id AS pet_owner_id, pet.id AS pet_id, pet.name AS pet_name,"
    " pet.species AS pet_species FROM pet WHERE pet.owner_id IN";
// joinedload(Owner.pets). Columns: owner id, name, then pet id, name, species, owner_id.
constexpr std::string_view kOwnersJoinPets =
    "SELECT owner.id, owner.name, pet_1.id AS id_1, pet_1.name AS name_1, pet_1.species,"
    " pet_1.owner_id FROM owner LEFT OUTER JOIN pet AS pet_1 ON owner.id = pet_1.owner_id";
// select(User).
constexpr std::string_view kAllUsers = "SELECT user.id, user.username FROM user";
// selectinload(User.following), followed by the IN list. Columns: user id, channel id, title.
constexpr std::string_view kFollowingIn =
    "SELECT user_1.id AS user_1_id, channel.id AS channel_id, channel.title AS channel_title"
    " FROM user AS user_1 JOIN user_channel AS user_channel_1 ON user_1.id = user_channel_1.user_id"
    " JOIN channel ON channel.id = user_channel_1.channel_id WHERE user_1.id IN";
// channel.followers (the backref), lazy. Columns: id, username.
constexpr std::string_view kFollowersOf =
    "SELECT user.id AS user_id, user.username AS user_username FROM user, user_channel"
    " WHERE ? = user_channel.channel_id AND user.id = user_channel.user_id";
// select(Pet).where(Pet.id <= n). Columns: id, name, species, owner_id.
constexpr std::string_view kPetsUpTo =
    "SELECT pet.id, pet.name, pet.species, pet.owner_id FROM pet WHERE pet.id <= ?";
// The flush of a changed name (SQLAlchemy sends all of them as one executemany).
constexpr std::string_view kRenamePet = "UPDATE pet SET name=? WHERE pet.id = ?";
}  // namespace sql

// The spec's state digest, computed by SQLite over the final tables: per owner id + name
// length, per pet owner_id*id + owner_id + name length + species length + code point of the
// name's last character. A loaded graph digests to the same number (see graph_digest).
constexpr const char* kStateDigest =
    "SELECT ifnull((SELECT sum(id + length(name)) FROM owner), 0)"
    " + ifnull((SELECT sum(owner_id * id + owner_id + length(name) + ifnull(length(species), 0)"
    " + unicode(substr(name, -1))) FROM pet), 0)";

// ---------------------------------------------------------------------------------------------
// Untimed setup: rows with explicit ids.

void fill_owners(Database& db, i64 n) {
  db.run_untallied("BEGIN");
  {
    Statement owner(db, "INSERT INTO owner (id, name) VALUES (?, ?)");
    Statement pet(db, "INSERT INTO pet (id, name, species, owner_id) VALUES (?, ?, ?, ?)");
    for (i64 i = 1; i <= n; ++i) {
      std::string name = owner_label(i);
      owner.bind(1, i);
      owner.bind(2, name);
      owner.run();
    }
    for (i64 k = 0; k < n * kPetsPerOwner; ++k) {
      i64 owner_id = 1 + k / kPetsPerOwner;
      std::string name = pet_label(owner_id, k % kPetsPerOwner);
      pet.bind(1, k + 1);
      pet.bind(2, name);
      pet.bind_or_null(3, species_for(k));
      pet.bind(4, owner_id);
      pet.run();
    }
  }
  db.run_untallied("COMMIT");
}

void fill_users(Database& db, i64 n) {
  db.run_untallied("BEGIN");
  {
    Statement user(db, "INSERT INTO user (id, username) VALUES (?, ?)");
    for (i64 i = 1; i <= n; ++i) {
      std::string name = "user" + std::to_string(i);
      user.bind(1, i);
      user.bind(2, name);
      user.run();
    }
    Statement channel(db, "INSERT INTO channel (id, title) VALUES (?, ?)");
    for (i64 c = 1; c <= kChannelCount; ++c) {
      std::string title = "channel " + std::to_string(c);
      channel.bind(1, c);
      channel.bind(2, title);
      channel.run();
    }
    Statement follow(db, "INSERT INTO user_channel (user_id, channel_id) VALUES (?, ?)");
    i64 user_id = 0;
    for (const std::vector<i64>& picked : draw_follows(n)) {
      ++user_id;
      for (i64 channel_id : picked) {
        follow.bind(1, user_id);
        follow.bind(2, channel_id);
        follow.run();
      }
    }
  }
  db.run_untallied("COMMIT");
}

// ---------------------------------------------------------------------------------------------
// What the loads produce.

struct PetRow {
  i64 id = 0;
  std::string name;
  std::optional<std::string> species;
  i64 owner_id = 0;
};

struct OwnerRow {
  i64 id = 0;
  std::string name;
  std::vector<PetRow> pets;
};

struct UserRow {
  i64 id = 0;
  std::string username;
  std::vector<std::size_t> following;  // positions in the loaded channels
};

struct ChannelRow {
  i64 id = 0;
  std::optional<std::string> title;
  std::vector<std::size_t> followers;  // positions in the loaded users
};

// Columns id, name, species, owner_id starting at `first`.
PetRow read_pet(const Statement& s, int first) {
  return PetRow{s.integer(first), s.text(first + 1), s.text_or_null(first + 2), s.integer(first + 3)};
}

struct Digest {
  i64 checksum = 0;
  i64 rows = 0;
};

i64 length_of(const std::string& s) { return static_cast<i64>(s.size()); }

// Reads each column of each owner and pet once; equals kStateDigest over the same rows.
Digest graph_digest(const std::vector<OwnerRow>& owners) {
  Digest d;
  for (const OwnerRow& owner : owners) {
    d.checksum += owner.id + length_of(owner.name);
    for (const PetRow& pet : owner.pets) {
      i64 last_char = pet.name.empty() ? 0 : static_cast<unsigned char>(pet.name.back());
      d.checksum += owner.id * pet.id + pet.owner_id + length_of(pet.name) +
                    (pet.species ? length_of(*pet.species) : 0) + last_char;
    }
    d.rows += 1 + static_cast<i64>(owner.pets.size());
  }
  return d;
}

std::vector<OwnerRow> select_owners(Database& db) {
  std::vector<OwnerRow> owners;
  Statement all(db, sql::kAllOwners);
  while (all.row()) owners.push_back(OwnerRow{all.integer(0), all.text(1), {}});
  all.rewind();
  return owners;
}

// select(Owner).options(selectinload(Owner.pets)): the owners, then their pets by IN chunks.
std::vector<OwnerRow> select_owners_with_pets(Database& db) {
  std::vector<OwnerRow> owners = select_owners(db);
  std::vector<i64> keys;
  keys.reserve(owners.size());
  std::unordered_map<i64, std::size_t> position;
  position.reserve(owners.size());
  for (std::size_t i = 0; i < owners.size(); ++i) {
    keys.push_back(owners[i].id);
    position.emplace(owners[i].id, i);
  }
  ChunkedInQuery pets(db, sql::kPetsOfOwnersIn);
  OwnerRow* parent = nullptr;  // a parent's pets arrive together: look it up when it changes
  pets.run(keys, [&](const Statement& s) {
    i64 owner_id = s.integer(0);
    if (!parent || parent->id != owner_id) parent = &owners[position.at(owner_id)];
    parent->pets.push_back(PetRow{s.integer(1), s.text(2), s.text_or_null(3), owner_id});
  });
  return owners;
}

// ---------------------------------------------------------------------------------------------
// Workloads. Each times only its workload; the loaded rows are freed inside the timed part.

struct Result {
  double seconds = 0;
  u64 statements = 0;
  i64 rows = 0;
  i64 checksum = 0;
  std::optional<std::size_t> bytes;  // to_dict only
};

struct Run {
  Database& db;
  i64 n;
  std::map<std::string, u64>* sql_log;  // nullptr without --sql-log
  Result result;

  // Runs body() as the timed part: clock, statement tally and SQL log cover it and no more.
  template <class Body>
  auto timed(Body&& body) {
    Tally& tally = db.tally();
    tally.executions = 0;
    tally.by_text = sql_log;
    auto start = std::chrono::steady_clock::now();
    auto value = body();
    auto stop = std::chrono::steady_clock::now();
    tally.by_text = nullptr;
    result.seconds = std::chrono::duration<double>(stop - start).count();
    result.statements = tally.executions;
    return value;
  }
};

void workload_insert(Run& run) {
  std::vector<std::string> owner_names;
  std::vector<std::string> pet_names;
  std::vector<const char*> species;
  for (i64 i = 1; i <= run.n; ++i) {
    owner_names.push_back(owner_label(i));
    for (i64 j = 0; j < kPetsPerOwner; ++j) {
      pet_names.push_back(pet_label(i, j));
      species.push_back(species_for((i - 1) * kPetsPerOwner + j));
    }
  }
  run.timed([&] {
    // SQLAlchemy's unit of work flushes every owner first, then every pet.
    run.db.run_untallied("BEGIN");
    {
      Statement add_owner(run.db, sql::kAddOwner);
      Statement add_pet(run.db, sql::kAddPet);
      std::vector<i64> new_ids;
      new_ids.reserve(owner_names.size());
      for (const std::string& name : owner_names) {
        add_owner.bind(1, name);
        add_owner.run();
        new_ids.push_back(sqlite3_last_insert_rowid(run.db.handle()));
      }
      for (std::size_t k = 0; k < pet_names.size(); ++k) {
        add_pet.bind(1, pet_names[k]);
        add_pet.bind_or_null(2, species[k]);
        add_pet.bind(3, new_ids[k / kPetsPerOwner]);
        add_pet.run();
      }
    }
    run.db.run_untallied("COMMIT");
    return 0;
  });
  run.result.rows = run.db.integer_of("SELECT (SELECT count(*) FROM owner) + (SELECT count(*) FROM pet)");
  run.result.checksum = run.db.integer_of(kStateDigest);
}

void workload_get_by_pk(Run& run) {
  fill_owners(run.db, run.n);
  SplitMix64 draw(kGetSeed);
  std::vector<i64> wanted(static_cast<std::size_t>(run.n));
  for (i64& pk : wanted) pk = static_cast<i64>(1 + draw() % static_cast<u64>(run.n));
  Digest d = run.timed([&] {
    Digest sum;
    Statement by_pk(run.db, sql::kOwnerByPk);
    for (i64 pk : wanted) {
      by_pk.bind(1, pk);
      if (by_pk.row()) {
        OwnerRow owner{by_pk.integer(0), by_pk.text(1), {}};
        sum.checksum += owner.id + length_of(owner.name);
        ++sum.rows;
      }
      by_pk.rewind();
    }
    return sum;
  });
  run.result.rows = d.rows;
  run.result.checksum = d.checksum;
}

void workload_lazy(Run& run) {
  fill_owners(run.db, run.n);
  Digest d = run.timed([&] {
    std::vector<OwnerRow> owners = select_owners(run.db);
    Statement pets_of(run.db, sql::kPetsOfOwner);
    for (OwnerRow& owner : owners) {  // the N in N + 1
      pets_of.bind(1, owner.id);
      while (pets_of.row()) owner.pets.push_back(read_pet(pets_of, 0));
      pets_of.rewind();
    }
    return graph_digest(owners);
  });
  run.result.rows = d.rows;
  run.result.checksum = d.checksum;
}

void workload_selectin(Run& run) {
  fill_owners(run.db, run.n);
  Digest d = run.timed([&] { return graph_digest(select_owners_with_pets(run.db)); });
  run.result.rows = d.rows;
  run.result.checksum = d.checksum;
}

void workload_joined(Run& run) {
  fill_owners(run.db, run.n);
  Digest d = run.timed([&] {
    std::vector<OwnerRow> owners;
    std::unordered_map<i64, std::size_t> position;  // the de-duplication .unique() does
    Statement joined(run.db, sql::kOwnersJoinPets);
    std::size_t at = 0;
    while (joined.row()) {
      i64 owner_id = joined.integer(0);
      if (owners.empty() || owners[at].id != owner_id) {
        auto [it, fresh] = position.try_emplace(owner_id, owners.size());
        if (fresh) owners.push_back(OwnerRow{owner_id, joined.text(1), {}});
        at = it->second;
      }
      // An owner without pets comes back once, with NULL pet columns.
      if (!joined.null_at(2)) owners[at].pets.push_back(read_pet(joined, 2));
    }
    joined.rewind();
    return graph_digest(owners);
  });
  run.result.rows = d.rows;
  run.result.checksum = d.checksum;
}

void workload_m2m(Run& run) {
  fill_users(run.db, run.n);
  Digest d = run.timed([&] {
    std::vector<UserRow> users;
    std::unordered_map<i64, std::size_t> user_at;  // identity map for users
    {
      Statement all(run.db, sql::kAllUsers);
      while (all.row()) {
        user_at.emplace(all.integer(0), users.size());
        users.push_back(UserRow{all.integer(0), all.text(1), {}});
      }
      all.rewind();
    }
    std::vector<i64> keys;
    keys.reserve(users.size());
    for (const UserRow& u : users) keys.push_back(u.id);

    // Every channel is materialized once, however many users follow it.
    std::vector<ChannelRow> channels;
    std::unordered_map<i64, std::size_t> channel_at;
    ChunkedInQuery following(run.db, sql::kFollowingIn);
    std::size_t follower = users.size();
    following.run(keys, [&](const Statement& s) {
      i64 user_id = s.integer(0);
      if (follower == users.size() || users[follower].id != user_id) follower = user_at.at(user_id);
      auto [it, fresh] = channel_at.try_emplace(s.integer(1), channels.size());
      if (fresh) channels.push_back(ChannelRow{s.integer(1), s.text_or_null(2), {}});
      users[follower].following.push_back(it->second);
    });

    Digest sum;
    for (const UserRow& u : users) {
      sum.checksum += u.id + length_of(u.username);
      for (std::size_t c : u.following) {
        const ChannelRow& ch = channels[c];
        sum.checksum += u.id * ch.id + (ch.title ? length_of(*ch.title) : 0);
      }
      sum.rows += 1 + static_cast<i64>(u.following.size());
    }

    // Then channel.followers for each followed channel, in channel id order: one lazy
    // SELECT each. The users it returns are already loaded; they resolve to the same rows.
    std::vector<std::size_t> by_id(channels.size());
    for (std::size_t c = 0; c < by_id.size(); ++c) by_id[c] = c;
    std::sort(by_id.begin(), by_id.end(),
              [&](std::size_t a, std::size_t b) { return channels[a].id < channels[b].id; });
    Statement followers_of(run.db, sql::kFollowersOf);
    for (std::size_t c : by_id) {
      ChannelRow& ch = channels[c];
      followers_of.bind(1, ch.id);
      while (followers_of.row()) {
        auto [it, fresh] = user_at.try_emplace(followers_of.integer(0), users.size());
        if (fresh) users.push_back(UserRow{followers_of.integer(0), followers_of.text(1), {}});
        ch.followers.push_back(it->second);
      }
      followers_of.rewind();
      auto count = static_cast<i64>(ch.followers.size());
      sum.checksum += ch.id * count;
      sum.rows += count;
    }
    return sum;
  });
  run.result.rows = d.rows;
  run.result.checksum = d.checksum;
}

void workload_update(Run& run) {
  fill_owners(run.db, run.n);
  run.timed([&] {
    // The SELECT runs in autocommit; the transaction starts with the first UPDATE.
    std::vector<PetRow> pets;
    {
      Statement upto(run.db, sql::kPetsUpTo);
      upto.bind(1, run.n);
      while (upto.row()) pets.push_back(read_pet(upto, 0));
      upto.rewind();
    }
    for (PetRow& pet : pets) pet.name += '!';
    run.db.run_untallied("BEGIN");
    {
      Statement rename(run.db, sql::kRenamePet);
      for (const PetRow& pet : pets) {
        rename.bind(1, pet.name);
        rename.bind(2, pet.id);
        rename.run();
      }
    }
    run.db.run_untallied("COMMIT");
    return 0;
  });
  run.result.rows = run.db.integer_of("SELECT count(*) FROM pet WHERE name LIKE '%!'");
  run.result.checksum = run.db.integer_of(kStateDigest);
}

// JSON text exactly as Python's json.dumps() writes it with its defaults: ", " between
// items, ": " after keys, and only printable ASCII left as is (everything else escaped,
// non-ASCII as \uXXXX UTF-16 units).
class JsonWriter {
 public:
  std::string& text() { return out_; }

  void raw(std::string_view s) { out_ += s; }
  void number(i64 v) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    out_.append(digits, end);
  }
  void string(std::string_view s) {
    out_ += '"';
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto byte = static_cast<unsigned char>(s[i]);
      if (byte >= 0x20 && byte <= 0x7E && byte != '"' && byte != '\\') continue;
      out_.append(s, plain_from, i - plain_from);
      i = escape_at(s, i);
      plain_from = i + 1;
    }
    out_.append(s, plain_from, s.size() - plain_from);
    out_ += '"';
  }

 private:
  void unit(unsigned u) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[6] = {'\\', 'u', kHex[(u >> 12) & 15], kHex[(u >> 8) & 15], kHex[(u >> 4) & 15], kHex[u & 15]};
    out_.append(buf, sizeof buf);
  }
  // Writes the escape for the character starting at s[i]; returns its last byte's index.
  std::size_t escape_at(std::string_view s, std::size_t i) {
    auto byte = static_cast<unsigned char>(s[i]);
    switch (byte) {
      case '"': out_ += "\\\""; return i;
      case '\\': out_ += "\\\\"; return i;
      case '\n': out_ += "\\n"; return i;
      case '\r': out_ += "\\r"; return i;
      case '\t': out_ += "\\t"; return i;
      case '\b': out_ += "\\b"; return i;
      case '\f': out_ += "\\f"; return i;
      default: break;
    }
    if (byte < 0x80) {
      unit(byte);
      return i;
    }
    // A UTF-8 sequence (SQLite returns UTF-8): decode the code point.
    std::size_t tail = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : 1;
    unsigned code = byte & (0x3Fu >> tail);
    for (std::size_t k = 0; k < tail && i + 1 < s.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(s[++i]) & 0x3Fu);
    }
    if (code > 0xFFFF) {
      code -= 0x10000;
      unit(0xD800 | (code >> 10));
      unit(0xDC00 | (code & 0x3FF));
    } else {
      unit(code);
    }
    return i;
  }

  std::string out_;
};

// Owner.to_dict() / Pet.to_dict() of sqlalchemy_orm.py, over the whole list.
std::string owners_as_json(const std::vector<OwnerRow>& owners) {
  JsonWriter w;
  w.raw("[");
  bool first_owner = true;
  for (const OwnerRow& owner : owners) {
    w.raw(first_owner ? "{\"id\": " : ", {\"id\": ");
    first_owner = false;
    w.number(owner.id);
    w.raw(", \"name\": ");
    w.string(owner.name);
    w.raw(", \"pets\": [");
    bool first_pet = true;
    for (const PetRow& pet : owner.pets) {
      w.raw(first_pet ? "{\"id\": " : ", {\"id\": ");
      first_pet = false;
      w.number(pet.id);
      w.raw(", \"name\": ");
      w.string(pet.name);
      w.raw(", \"species\": ");
      if (pet.species) {
        w.string(*pet.species);
      } else {
        w.raw("null");
      }
      w.raw(", \"owner_id\": ");
      w.number(pet.owner_id);
      w.raw("}");
    }
    w.raw("]}");
  }
  w.raw("]");
  return std::move(w.text());
}

// CRC-32 as zlib.crc32 computes it (reflected, polynomial 0xEDB88320).
constexpr std::array<std::uint32_t, 256> kCrcTable = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) r = (r >> 1) ^ ((r & 1u) ? 0xEDB88320u : 0u);
    table[b] = r;
  }
  return table;
}();

std::uint32_t crc32_of(std::string_view bytes) {
  std::uint32_t r = ~0u;
  for (unsigned char b : bytes) r = kCrcTable[(r ^ b) & 0xFFu] ^ (r >> 8);
  return ~r;
}

void workload_to_dict(Run& run) {
  fill_owners(run.db, run.n);
  auto [json, rows] = run.timed([&] {
    std::vector<OwnerRow> owners = select_owners_with_pets(run.db);
    i64 count = 0;
    for (const OwnerRow& owner : owners) count += 1 + static_cast<i64>(owner.pets.size());
    return std::make_pair(owners_as_json(owners), count);
  });
  run.result.rows = rows;
  run.result.checksum = crc32_of(json);
  run.result.bytes = json.size();
}

struct Workload {
  std::string_view name;
  void (*body)(Run&);
};

constexpr Workload kWorkloads[] = {
    {"insert", workload_insert},     {"get_by_pk", workload_get_by_pk}, {"lazy_n_plus_1", workload_lazy},
    {"selectin", workload_selectin}, {"joined", workload_joined},       {"m2m", workload_m2m},
    {"update", workload_update},     {"to_dict", workload_to_dict},
};

// ---------------------------------------------------------------------------------------------
// Driver.

// A new directory under the system's temporary directory, deleted with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "retort-raw-baseline-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
    dir_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignore;
    std::filesystem::remove_all(dir_, ignore);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::filesystem::path file(const char* name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

void run_one(const Workload& workload, i64 n, bool indexes, bool sql_log) {
  std::map<std::string, u64> log;
  Result result;
  {
    ScratchDir scratch;
    Database db(scratch.file("bench.db"));
    db.run_untallied("PRAGMA journal_mode=WAL");
    db.run_untallied("PRAGMA synchronous=NORMAL");
    db.run_untallied(kCreateTables);
    if (indexes) db.run_untallied(kCreateIndexes);
    Run run{db, n, sql_log ? &log : nullptr, {}};
    workload.body(run);
    result = run.result;
  }
  // calls equals statements here: every execution is its own call.
  std::printf("workload=%s n=%lld seconds=%.6f statements=%llu rows=%lld checksum=%lld calls=%llu",
              std::string(workload.name).c_str(), static_cast<long long>(n), result.seconds,
              static_cast<unsigned long long>(result.statements), static_cast<long long>(result.rows),
              static_cast<long long>(result.checksum), static_cast<unsigned long long>(result.statements));
  if (result.bytes) std::printf(" bytes=%zu", *result.bytes);
  std::printf(" impl=raw-sqlite-%s\n", sqlite3_libversion());
  std::fflush(stdout);
  for (const auto& [text, count] : log) {
    std::fprintf(stderr, "%llu\t%s\n", static_cast<unsigned long long>(count), text.c_str());
  }
}

int usage_error() {
  std::string names = "all";
  for (const Workload& w : kWorkloads) (names += '|') += w.name;
  std::fprintf(stderr, "usage: raw_sqlite {%s} N [--no-index] [--sql-log]\n", names.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> positional;
  bool indexes = true;
  bool sql_log = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--no-index") {
      indexes = false;
    } else if (arg == "--sql-log") {
      sql_log = true;
    } else if (arg.starts_with("--")) {
      return usage_error();
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return usage_error();
  std::string_view which = positional[0];
  std::string_view count = positional[1];
  i64 n = 0;
  auto parsed = std::from_chars(count.data(), count.data() + count.size(), n);
  if (parsed.ec != std::errc{} || parsed.ptr != count.data() + count.size() || n < 1) {
    std::fprintf(stderr, "N must be a positive integer, got '%s'\n", std::string(count).c_str());
    return 2;
  }
  bool matched = false;
  try {
    for (const Workload& w : kWorkloads) {
      if (which != "all" && which != w.name) continue;
      matched = true;
      run_one(w, n, indexes, sql_log);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raw_sqlite: %s\n", e.what());
    return 1;
  }
  return matched ? 0 : usage_error();
}
