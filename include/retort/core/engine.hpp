// Engine, Connection, Transaction, Result and Row.
//
// An Engine owns a dialect, a pool of driver connections and a cache of
// compiled statements; a Connection checks one driver connection out of the
// pool and keeps a cache of prepared statements on it. Transactions are RAII:
// one that is not committed rolls back when it goes out of scope.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "retort/core/detail/cursor.hpp"
#include "retort/core/error.hpp"
#include "retort/core/sql.hpp"
#include "retort/core/url.hpp"
#include "retort/core/value.hpp"

namespace retort {

class Config;
class Dialect;
class Engine;
namespace detail {
struct EngineImpl;
class DriverConnection;
}  // namespace detail

/// One statement execution, as reported to statement hooks and the echo log.
struct StatementEvent {
  std::string_view sql;
  std::span<const Value> params;
  std::int64_t duration_ns = 0;         ///< bind and first step, in nanoseconds
  bool compiled_from_cache = false;     ///< the SQL text came from the compiled cache
  bool prepared_from_cache = false;     ///< the driver reused a prepared statement
  std::size_t batch_index = 0;          ///< position within an execute_many
  std::size_t batch_size = 1;
};

/// Counters for tests and tuning.
struct EngineStats {
  std::uint64_t statements = 0;        ///< executions
  std::uint64_t compilations = 0;      ///< statement trees compiled to SQL
  std::uint64_t compile_cache_hits = 0;
  std::uint64_t prepares = 0;          ///< driver-level prepares (sqlite3_prepare_v3)
  std::uint64_t prepare_cache_hits = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_checked_out = 0;  ///< currently in use
  std::uint64_t connections_idle = 0;         ///< in the pool, ready
  std::uint64_t connections_closed = 0;       ///< closed: overflow returned, recycled, disposed or lost
  std::uint64_t connections_invalidated = 0;  ///< found unusable (lost, or failed the pre-ping) and dropped
  std::uint64_t pool_timeouts = 0;            ///< checkouts that gave up after pool_timeout_s
  /// Results whose statement is still open (not read to the end, closed or destroyed):
  /// 0 whenever no code holds one, also after an error.
  std::int64_t results_open = 0;
  std::int64_t transactions_open = 0;  ///< connections inside BEGIN ... COMMIT/ROLLBACK
};

/// Engine settings. `from_config` reads them from Config (SQLALCHEMY_ECHO, ...).
struct EngineOptions {
  bool echo = false;  ///< log each statement, its parameters and duration
  /// Where echo lines go; default: standard error.
  std::function<void(std::string_view line)> echo_sink;
  int busy_timeout_ms = 5000;                     ///< SQLite: wait this long for a lock
  bool foreign_keys = true;                       ///< SQLite: PRAGMA foreign_keys=ON
  std::string journal_mode = "wal";               ///< SQLite file databases; "" keeps the default
  std::string synchronous;                        ///< SQLite: e.g. "normal"; "" keeps the default
  /// SQLite: how transactions begin (ignored by other dialects, which lock rows).
  /// "deferred" (SQLite's default): BEGIN takes no lock; the write lock comes
  /// with the first write, and a Session begins its transaction only then, so
  /// what it read before was read outside it and may have changed since: a
  /// read-modify-write of two sessions can lose one's update.
  /// "immediate": BEGIN IMMEDIATE takes the write lock at once (waiting up to
  /// busy_timeout_ms for it), and a Session begins at its first statement, a
  /// read included: what it reads cannot change before it commits. The price:
  /// each session holds the one write lock from its first read to its end, so
  /// keep them short. "exclusive": BEGIN EXCLUSIVE (also keeps readers out in
  /// rollback-journal mode). Anything else raises ArgumentError.
  std::string transaction_mode = "deferred";
  std::size_t statement_cache_size = 256;         ///< prepared statements kept per connection
  std::size_t compiled_cache_size = 500;          ///< compiled statements kept per engine
  /// The pool (SQLAlchemy's QueuePool): `pool_size` connections are kept,
  /// `max_overflow` more may be open at busy times and are closed when
  /// returned; a checkout beyond both waits up to `pool_timeout_s`, then
  /// raises PoolTimeoutError. A connection older than `pool_recycle_s` (> 0)
  /// is replaced at checkout; `pool_pre_ping` tests each one at checkout and
  /// replaces it silently when the server dropped it.
  static constexpr std::size_t unlimited = std::size_t(1) << 40;  ///< max_overflow without a limit
  std::size_t pool_size = 5;
  std::size_t max_overflow = 10;
  double pool_timeout_s = 30;
  double pool_recycle_s = -1;
  bool pool_pre_ping = false;

  /// PostgreSQL streaming replicas of this database (their URLs). A Session
  /// reads from one of them (round robin) while its transaction has not
  /// written; writes, and reads after a write, go to the primary.
  std::vector<std::string> replicas;
  /// After a session commits a write, it reads only from a replica that has
  /// replayed that commit (else from the primary), for at most this long.
  double read_your_writes_s = 10;
  /// A replica further behind than this (seconds of replay lag) is skipped.
  double replica_max_lag_s = 30;
  /// A replica that failed (refused the connection, lost it) is skipped this long.
  double replica_retry_s = 5;

  /// SQLALCHEMY_ECHO, and the pool from SQLALCHEMY_POOL_SIZE, SQLALCHEMY_MAX_OVERFLOW,
  /// SQLALCHEMY_POOL_TIMEOUT, SQLALCHEMY_POOL_RECYCLE and SQLALCHEMY_POOL_PRE_PING;
  /// the replicas from DATABASE_REPLICA_URLS.
  static EngineOptions from_config(const Config& config);
};

/// One row of a Result; valid until the Result advances.
class Row {
 public:
  explicit Row(const detail::Cursor* cursor) : cursor_(cursor) {}

  int size() const { return cursor_->column_count(); }
  bool is_null(int i) const { return cursor_->is_null(i); }
  Value operator[](int i) const { return cursor_->get_value(i); }
  Value operator[](std::string_view name) const { return cursor_->get_value(index_of(name)); }
  std::string_view column_name(int i) const { return cursor_->column_name(i); }
  /// The index of a column by name; ArgumentError listing the columns.
  int index_of(std::string_view name) const;
  /// Text without a copy; valid until the Result advances.
  std::string_view text(int i) const { return cursor_->get_text(i); }
  /// The text without a copy, or nullopt for NULL (the loading hot path: one call, not two).
  std::optional<std::string_view> text_or_null(int i) const { return cursor_->get_text_or_null(i); }
  /// The integer, or nullopt for NULL.
  std::optional<std::int64_t> int_or_null(int i) const { return cursor_->get_int_or_null(i); }

  /// The column converted to T; NULL into a non-optional T raises ArgumentError.
  template <class T>
  T get(int i) const;
  /// The column converted to a non-optional T, for a caller that has checked it is not NULL.
  template <class T>
  T value_at(int i) const;
  template <class T>
  T get(std::string_view name) const {
    return get<T>(index_of(name));
  }

 private:
  [[noreturn]] void null_into_non_optional(int i) const;
  const detail::Cursor* cursor_;
};

/// The rows of one statement, read forward once. Iterate with `for (const Row& row : result)`.
class Result {
 public:
  Result() = default;
  Result(std::unique_ptr<detail::Cursor> cursor);
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;
  ~Result();

  /// Advances; false when no row is left.
  bool next();
  /// The current row (after next() returned true).
  const Row& row() const { return row_; }

  class iterator {
   public:
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(Result* r) : r_(r) { advance(); }
    const Row& operator*() const { return r_->row(); }
    const Row* operator->() const { return &r_->row(); }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(const iterator& o) const { return r_ == o.r_; }

   private:
    void advance() {
      if (r_ && !r_->next()) r_ = nullptr;
    }
    Result* r_ = nullptr;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  /// Every remaining row as values.
  std::vector<std::vector<Value>> all();
  /// The first row, or nothing; the rest is discarded.
  std::optional<std::vector<Value>> first();
  /// Exactly one row: NoResultFound or MultipleResultsFound otherwise.
  std::vector<Value> one();
  /// The first column of the first row; NoResultFound when there is no row.
  template <class T>
  T scalar() {
    if (!next()) throw NoResultFound("scalar(): the statement returned no row");
    T v = row_.get<T>(0);
    close();
    return v;
  }
  /// Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t rowcount() const;
  /// The rowid an INSERT generated (SQLite).
  std::int64_t lastrowid() const;
  /// The column names.
  std::vector<std::string> keys() const;
  /// Releases the statement early (the destructor does it too).
  void close();

 private:
  const std::vector<std::string>& names() const;
  std::unique_ptr<detail::Cursor> cursor_;
  /// Kept when the statement is released, so keys() still answers.
  mutable std::shared_ptr<const std::vector<std::string>> names_;
  Row row_{nullptr};
  std::int64_t rowcount_ = 0;
  std::int64_t lastrowid_ = 0;
  friend class Connection;
  std::atomic<std::int64_t>* open_count_ = nullptr;  ///< the engine's results_open, while the cursor is open
};

class Connection;

/// A transaction or, when nested, a savepoint. Not committed: rolled back on
/// destruction (never throws from there).
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  void commit();
  void rollback();
  bool is_active() const noexcept { return active_; }

 private:
  friend class Connection;
  Transaction(Connection* conn, int depth) : conn_(conn), depth_(depth), active_(true) {}
  Connection* conn_;
  int depth_;  ///< 0: the outer transaction; n > 0: savepoint sp_n
  bool active_;
};

/// A checked-out database connection. Movable; returned to the pool (rolled
/// back if a transaction is still open) on destruction.
class Connection {
 public:
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  ~Connection();

  /// Runs a statement; values are bound, never spliced.
  Result execute(const Statement& stmt, const Params& params = {});
  /// Runs one statement once per parameter set, on one prepared statement.
  void execute_many(const Statement& stmt, const std::vector<Params>& param_sets);
  /// Runs SQL as given, with the dialect's own placeholders ("?" on SQLite).
  Result exec_driver_sql(std::string_view sql, std::span<const Value> params = {});

  /// BEGIN; nested calls while a transaction is open raise ArgumentError (use begin_nested).
  Transaction begin();
  /// SAVEPOINT inside the current transaction (begins one if none).
  Transaction begin_nested();
  bool in_transaction() const noexcept { return depth_ > 0; }
  /// True once the driver connection is known to be lost (the server went
  /// away): nothing more can run on it; a new connect() gets a fresh one.
  bool invalidated() const noexcept;

  const Dialect& dialect() const;
  Engine engine() const;

 private:
  friend class Engine;
  friend class Transaction;
  Connection(std::shared_ptr<detail::EngineImpl> engine, std::shared_ptr<detail::DriverConnection> raw);
  /// Rolls back what is open and returns the driver connection to the pool.
  void release() noexcept;
  void end_transaction(int depth, bool commit);
  void set_depth(int depth) noexcept;  ///< counts transactions_open when it crosses 0
  void control(std::string_view sql);
  Result run(const std::string& sql, std::span<const Value> params, bool compiled_from_cache,
             std::size_t batch_index, std::size_t batch_size);
  std::shared_ptr<detail::EngineImpl> engine_;
  std::shared_ptr<detail::DriverConnection> raw_;
  int depth_ = 0;  ///< open transaction levels (1 = outer transaction)
};

/// The starting point: a URL, a dialect, a connection pool.
///
/// **Example**: `Engine engine("sqlite:///dev.db"); auto conn = engine.connect();`
class Engine {
 public:
  explicit Engine(const Url& url, EngineOptions options = {});
  explicit Engine(std::string_view url, EngineOptions options = {});

  Connection connect();
  /// Whether EngineOptions::replicas names any.
  bool has_replicas() const;
  /// A connection to a replica that answers, lags less than replica_max_lag_s
  /// and has replayed the primary's WAL up to `min_lsn` ("" for any), taken
  /// round robin; nothing when none will do (then read from the primary).
  std::optional<Connection> connect_replica(std::string_view min_lsn = "");
  /// Per replica, in EngineOptions::replicas order: statements run there and its pool.
  std::vector<EngineStats> replica_stats() const;
  const Url& url() const;
  const Dialect& dialect() const;
  const EngineOptions& options() const;

  /// Calls `hook` after every statement execution, on this engine and on its read
  /// replicas. Returns an id for remove_statement_hook.
  int add_statement_hook(std::function<void(const StatementEvent&)> hook);
  void remove_statement_hook(int id);
  EngineStats stats() const;
  /// Closes idle pooled connections.
  void dispose();

 private:
  friend class Connection;
  explicit Engine(std::shared_ptr<detail::EngineImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<detail::EngineImpl> impl_;
};

// ---- Row::get ---------------------------------------------------------------

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
T Row::get(int i) const {
  if constexpr (detail::is_optional<T>::value) {
    if (cursor_->is_null(i)) return std::nullopt;
    return get<typename T::value_type>(i);
  } else {
    if (cursor_->is_null(i)) null_into_non_optional(i);
    return value_at<T>(i);
  }
}

template <class T>
T Row::value_at(int i) const {
  if constexpr (std::is_same_v<T, bool>) {
    return cursor_->get_int(i) != 0;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(cursor_->get_int(i));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(cursor_->get_double(i));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(cursor_->get_text(i));
  } else {
    return ValueTraits<T>::from_value(cursor_->get_value(i));
  }
}

}  // namespace retort
