// The SQLite driver: connections over the sqlite3 C API, a per-connection
// cache of prepared statements (prepared once, then reset and rebound), and the
// mapping of SQLite's extended result codes onto retort's typed errors.
//
// Settings applied to every connection: PRAGMA foreign_keys=ON (SQLite's
// default is off, which silently disables ON DELETE CASCADE), a busy timeout,
// and WAL journaling for file databases.
#include <sqlite3.h>

#include <list>
#include <optional>
#include <unordered_map>

#include "core/driver.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/error.hpp"

namespace retort::detail {

const Dialect& sqlite_dialect();

namespace {

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

/// The database file of `db`, quoted, for messages.
std::string database_name(sqlite3* db) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return file && *file ? "'" + std::string(file) + "'" : std::string("the in-memory database");
}

/// Throws the retort error for SQLite result code `rc` on `db`, whose busy
/// timeout is `busy_timeout_ms`. `starting` says the statement was being
/// started (its first step), where a lock refused at once can be told from one
/// waited for; a lock not granted is named with the timeout.
[[noreturn]] void raise(sqlite3* db, int rc, const std::string& sql, std::span<const Value> params,
                        int busy_timeout_ms, bool starting = false) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  ErrorDetails d;
  d.sql = sql;
  d.params = repr(params, 40);
  d.db_message = msg;
  d.requires_rollback = false;
  std::string tail;
  if (!sql.empty()) tail = "\n[SQL: " + sql + "]";
  if (!params.empty()) tail += "\n[parameters: " + d.params + "]";

  auto after_colon = [&] {
    auto pos = msg.find(": ");
    return pos == std::string::npos ? std::string() : msg.substr(pos + 2);
  };
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: {
      d.constraint = after_colon();
      std::string fix;
      switch (ext) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          d.sqlstate = "23505";
          fix = "a row with this value already exists; use a different value or update the existing row";
          break;
        case SQLITE_CONSTRAINT_NOTNULL:
          d.sqlstate = "23502";
          fix = "give " + d.constraint + " a value, or declare the column nullable";
          break;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          d.sqlstate = "23503";
          fix = "the referenced row must exist (insert the parent first) and must not be deleted while rows refer to it";
          break;
        case SQLITE_CONSTRAINT_CHECK:
          d.sqlstate = "23514";
          fix = "the value breaks CHECK constraint " + d.constraint;
          break;
        default: d.sqlstate = "23000"; break;
      }
      d.code = "integrity";
      throw IntegrityError("(sqlite3.IntegrityError) " + msg + (fix.empty() ? "" : "\nhint: " + fix) + tail, d);
    }
    case SQLITE_MISMATCH:
      d.sqlstate = "22000";
      d.code = "integrity";
      throw IntegrityError("(sqlite3.IntegrityError) " + msg + tail, d);
    case SQLITE_BUSY: {
      d.sqlstate = "55P03";
      d.code = "locked";
      std::string what, fix;
      if (ext == SQLITE_BUSY_SNAPSHOT) {
        // Waiting cannot help: the snapshot this transaction read is no longer the latest.
        what = "this transaction read " + database_name(db) +
               " before another connection wrote to it, so it cannot write now without overwriting that change "
               "(SQLITE_BUSY_SNAPSHOT: no busy timeout helps)";
        fix = "roll back and run the transaction again (retryable() is true); to make such read-then-write "
              "transactions wait for each other instead, set EngineOptions::transaction_mode = \"immediate\"";
      } else if (starting && sqlite3_txn_state(db, nullptr) == SQLITE_TXN_READ) {
        // SQLite gives up at once, without calling the busy handler, when a
        // transaction that has read wants to write while another connection
        // writes: waiting would leave its reads out of date (WAL) or deadlock
        // (rollback journal).
        what = "this transaction read " + database_name(db) +
               " and now wants to write, but another connection is writing to it: SQLite refuses at once, as waiting "
               "would leave this transaction's reads out of date (or deadlock)";
        fix = "roll back and run the transaction again (retryable() is true); to make such read-then-write "
              "transactions wait for each other instead, set EngineOptions::transaction_mode = \"immediate\"";
      } else {
        what = "another connection held a lock on " + database_name(db) + " for longer than this connection's busy timeout (" +
               std::to_string(busy_timeout_ms) + " ms)";
        fix = "keep write transactions short (commit sooner, do slow work outside them), run this transaction again "
              "(retryable() is true), or raise the busy timeout (EngineOptions::busy_timeout_ms, 5000 ms by default)";
      }
      throw OperationalError("(sqlite3.OperationalError) " + msg + ": " + what + "\nhint: " + fix + tail, d,
                             /*retryable=*/true);
    }
    case SQLITE_LOCKED:
      d.sqlstate = "55P03";
      d.code = "locked";
      throw OperationalError("(sqlite3.OperationalError) " + msg + " (in " + database_name(db) +
                                 ")\nhint: a statement of this same connection still uses the table (an unfinished "
                                 "Result): read it to the end or close() it first" + tail,
                             d, /*retryable=*/false);  // running it again meets the same Result
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_INTERRUPT:
    case SQLITE_PROTOCOL:
      d.sqlstate = (rc & 0xff) == SQLITE_CANTOPEN ? "08001" : "58000";
      d.code = "operational";
      throw OperationalError("(sqlite3.OperationalError) " + msg + tail, d);
    default: break;
  }
  d.code = "programming";
  if (contains(msg, "no such table")) d.sqlstate = "42P01";
  else if (contains(msg, "no such column") || contains(msg, "has no column")) d.sqlstate = "42703";
  else if (contains(msg, "syntax error") || contains(msg, "incomplete input")) d.sqlstate = "42601";
  else if (contains(msg, "already exists")) d.sqlstate = "42P07";
  else d.sqlstate = "42000";
  throw ProgrammingError("(sqlite3.ProgrammingError) " + msg + tail, d);
}

class SqliteConnection;

/// A cached prepared statement; `busy` while a cursor is reading from it.
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool busy = false;
  std::list<std::string>::iterator lru;
  std::shared_ptr<const std::vector<std::string>> names;  ///< read once, shared by its Results
};

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(std::shared_ptr<SqliteConnection> owner, sqlite3_stmt* stmt, CachedStatement* cached, bool has_row,
               std::int64_t changes, std::int64_t rowid, const std::string& sql)
      : owner_(std::move(owner)), stmt_(stmt), cached_(cached), pending_(has_row), done_(!has_row),
        changes_(changes), rowid_(rowid) {
    // A cached statement's SQL is its cache key, which outlives the cursor; a one-off is copied.
    if (cached_) sql_ = &sql;
    else sql_ = &own_sql_.emplace(sql);
  }
  ~SqliteCursor() override;

  bool next() override;
  int column_count() const override { return sqlite3_column_count(stmt_); }
  std::string_view column_name(int i) const override {
    const char* n = sqlite3_column_name(stmt_, i);
    return n ? n : "";
  }
  std::shared_ptr<const std::vector<std::string>> column_names() const override {
    if (!cached_) return Cursor::column_names();
    // A schema change may re-prepare the statement with other columns: then read them again.
    if (!cached_->names || cached_->names->size() != static_cast<std::size_t>(column_count()))
      cached_->names = Cursor::column_names();
    return cached_->names;
  }
  bool is_null(int i) const override { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::int64_t get_int(int i) const override { return sqlite3_column_int64(stmt_, i); }
  double get_double(int i) const override { return sqlite3_column_double(stmt_, i); }
  std::string_view get_text(int i) const override {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))) : std::string_view();
  }
  // NULL reads as 0 and as a null pointer: the type is asked only then.
  std::optional<std::int64_t> get_int_or_null(int i) const override {
    std::int64_t v = sqlite3_column_int64(stmt_, i);
    if (v == 0 && is_null(i)) return std::nullopt;
    return v;
  }
  std::optional<std::string_view> get_text_or_null(int i) const override {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    if (p) return std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
    if (is_null(i)) return std::nullopt;
    return std::string_view();  // a zero-length blob
  }
  std::span<const unsigned char> get_bytes(int i) const override {
    auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, i));
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
  }
  Value get_value(int i) const override {
    switch (sqlite3_column_type(stmt_, i)) {
      case SQLITE_INTEGER: return Value(sqlite3_column_int64(stmt_, i));
      case SQLITE_FLOAT: return Value(sqlite3_column_double(stmt_, i));
      case SQLITE_TEXT: return Value(std::string(get_text(i)));
      case SQLITE_BLOB: {
        auto b = get_bytes(i);
        return Value(Bytes(b.begin(), b.end()));
      }
      default: return Value();
    }
  }
  std::int64_t rows_affected() const override { return changes_; }
  std::int64_t last_insert_id() const override { return rowid_; }

 private:
  std::shared_ptr<SqliteConnection> owner_;
  sqlite3_stmt* stmt_;
  CachedStatement* cached_;  // null: a one-off statement this cursor finalizes
  bool pending_;             // the first row was stepped by execute()
  bool done_;
  std::int64_t changes_, rowid_;
  const std::string* sql_;
  std::optional<std::string> own_sql_;
};

class SqliteConnection final : public DriverConnection, public std::enable_shared_from_this<SqliteConnection> {
 public:
  SqliteConnection(const Url& url, const EngineOptions& options)
      : cache_size_(options.statement_cache_size), busy_timeout_ms_(options.busy_timeout_ms) {
    std::string path = url.is_memory() ? ":memory:" : url.database;
    // NOMUTEX: a connection is used by one thread at a time (the pool hands it out), so
    // SQLite's own per-call locking would only cost time on every step and column read.
    bool read_only = url.query_value("mode") == std::optional<std::string>("ro");
    int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      ErrorDetails d;
      d.db_message = msg;
      d.sqlstate = "08001";
      d.code = "operational";
      throw OperationalError("(sqlite3.OperationalError) cannot open database file '" + path + "': " + msg +
                                 "\nhint: check that the directory exists and is writable (URL: " + url.render() + ")",
                             d);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    if (options.foreign_keys) execute_control("PRAGMA foreign_keys=ON");
    if (!url.is_memory() && !options.journal_mode.empty() && !read_only)
      execute_control("PRAGMA journal_mode=" + options.journal_mode);
    if (!options.synchronous.empty()) execute_control("PRAGMA synchronous=" + options.synchronous);
  }

  ~SqliteConnection() override {
    for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
    sqlite3_close_v2(db_);
  }

  std::unique_ptr<Cursor> execute(const std::string& sql, std::span<const Value> params, bool& reused) override {
    CachedStatement* cached = nullptr;
    const std::string* key = &sql;
    sqlite3_stmt* stmt = nullptr;
    auto it = cache_.find(sql);
    if (it != cache_.end() && !it->second.busy) {
      cached = &it->second;
      stmt = cached->stmt;
      key = &it->first;
      lru_.splice(lru_.begin(), lru_, cached->lru);
      reused = true;
    } else {
      stmt = prepare(sql, params);
      reused = false;
      if (it == cache_.end() && cache_size_ > 0) {
        evict();
        auto [ins, ok] = cache_.emplace(sql, CachedStatement{stmt, false, {}});
        lru_.push_front(ins->first);
        ins->second.lru = lru_.begin();
        cached = &ins->second;
        key = &ins->first;
      }
    }
    try {
      bind(stmt, sql, params);
    } catch (...) {
      sqlite3_clear_bindings(stmt);
      if (!cached) sqlite3_finalize(stmt);
      throw;
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      if (!cached) sqlite3_finalize(stmt);
      raise(db_, rc, sql, params, busy_timeout_ms_, true);
    }
    if (cached) cached->busy = true;
    return std::make_unique<SqliteCursor>(shared_from_this(), stmt, cached, rc == SQLITE_ROW,
                                          sqlite3_changes64(db_), sqlite3_last_insert_rowid(db_),
                                          cached ? *key : sql);
  }

  void execute_control(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) raise(db_, rc, s, {}, busy_timeout_ms_, true);
  }

  bool healthy() const override { return db_ != nullptr; }

  sqlite3* db() const { return db_; }
  int busy_timeout_ms() const { return busy_timeout_ms_; }

 private:
  sqlite3_stmt* prepare(const std::string& sql, std::span<const Value> params) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) raise(db_, rc, sql, params, busy_timeout_ms_);
    if (!stmt) {
      ErrorDetails d;
      d.sql = sql;
      d.sqlstate = "42601";
      throw ProgrammingError("the SQL text holds no statement\n[SQL: " + sql + "]", d);
    }
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const std::string& sql, std::span<const Value> params) {
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      ErrorDetails d;
      d.sql = sql;
      d.sqlstate = "42000";
      throw ProgrammingError("the statement has " + std::to_string(expected) + " placeholders but " +
                                 std::to_string(params.size()) + " parameters were given\n[SQL: " + sql + "]",
                             d);
    }
    // A statement that writes does all its work in the first step (RETURNING
    // rows too), inside execute(), while `params` lives: SQLite may read the
    // values in place. A query steps on after execute() returns: copies.
    auto keep = sqlite3_stmt_readonly(stmt) ? SQLITE_TRANSIENT : SQLITE_STATIC;
    for (int i = 0; i < expected; ++i) {
      const Value& v = params[static_cast<std::size_t>(i)];
      int rc = SQLITE_OK;
      switch (v.kind()) {
        case Value::Kind::null: rc = sqlite3_bind_null(stmt, i + 1); break;
        case Value::Kind::boolean: rc = sqlite3_bind_int(stmt, i + 1, v.as_bool() ? 1 : 0); break;
        case Value::Kind::integer: rc = sqlite3_bind_int64(stmt, i + 1, v.as_int()); break;
        case Value::Kind::real: rc = sqlite3_bind_double(stmt, i + 1, v.as_double()); break;
        case Value::Kind::text: {
          auto& s = v.as_text();
          rc = sqlite3_bind_text64(stmt, i + 1, s.data(), s.size(), keep, SQLITE_UTF8);
          break;
        }
        case Value::Kind::bytes: {
          auto& b = v.as_bytes();
          // An empty vector's data() may be null, which SQLite would bind as NULL.
          rc = b.empty() ? sqlite3_bind_zeroblob(stmt, i + 1, 0)
                         : sqlite3_bind_blob64(stmt, i + 1, b.data(), b.size(), keep);
          break;
        }
      }
      if (rc != SQLITE_OK) raise(db_, rc, sql, params, busy_timeout_ms_);
    }
  }

  void evict() {
    while (cache_.size() >= cache_size_ && !lru_.empty()) {
      // Walk from the least recently used end to the first statement not in use.
      auto victim = std::prev(lru_.end());
      while (cache_.at(*victim).busy) {
        if (victim == lru_.begin()) return;
        --victim;
      }
      auto entry = cache_.find(*victim);
      sqlite3_finalize(entry->second.stmt);
      lru_.erase(victim);
      cache_.erase(entry);
    }
  }

  friend class SqliteCursor;
  sqlite3* db_ = nullptr;
  std::size_t cache_size_;
  int busy_timeout_ms_;
  std::unordered_map<std::string, CachedStatement> cache_;
  std::list<std::string> lru_;  // most recently used first; holds copies of the keys
};

SqliteCursor::~SqliteCursor() {
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    cached_->busy = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

bool SqliteCursor::next() {
  if (pending_) {
    pending_ = false;
    return true;
  }
  if (done_) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  done_ = true;
  if (rc != SQLITE_DONE) raise(owner_->db(), rc, *sql_, {}, owner_->busy_timeout_ms());
  return false;
}

bool single_connection(const Url& url) { return url.is_memory(); }

std::shared_ptr<DriverConnection> open(const Url& url, const EngineOptions& options) {
  return std::make_shared<SqliteConnection>(url, options);
}

}  // namespace

const Driver& sqlite_driver() {
  static const Driver driver{sqlite_dialect(), &open, &single_connection};
  return driver;
}

}  // namespace retort::detail
