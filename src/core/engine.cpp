// Engine, Connection, Transaction and Result.
//
// Executing a statement: (1) key the tree and collect its literal values,
// (2) find the compiled SQL in the engine's cache or compile it once, (3) bind
// the values in placeholder order, (4) hand the SQL to the driver connection,
// which keeps its own cache of prepared statements. Hooks and the echo log see
// every execution. Transactions are a depth counter on the connection: depth 1
// is BEGIN, depth n > 1 is SAVEPOINT sp_(n-1).
#include "retort/core/engine.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/driver.hpp"
#include "retort/core/config.hpp"
#include "retort/core/dialect.hpp"
#include "core/sql/node.hpp"

namespace retort {

namespace detail {

struct EngineImpl {
  Url url;
  EngineOptions options;
  const Driver* driver;

  std::mutex mutex;  // guards everything below that is not atomic
  std::condition_variable returned;  // a connection came back to the pool (or closed)
  std::deque<std::shared_ptr<DriverConnection>> idle;  // oldest return first: each is used in turn
  std::size_t open = 0;  // connections that exist: idle and checked out
  std::shared_ptr<DriverConnection> single;  // the one connection of a memory database
  std::unordered_map<std::string, std::shared_ptr<const CompiledSql>> compiled;
  std::vector<std::pair<int, std::function<void(const StatementEvent&)>>> hooks;
  int next_hook_id = 1;
  std::atomic<bool> has_hooks{false};

  std::atomic<std::uint64_t> statements{0}, compilations{0}, compile_hits{0}, prepares{0}, prepare_hits{0},
      opened{0}, checked_out{0}, closed{0}, invalidated{0}, timeouts{0};
  std::atomic<std::int64_t> results_open{0}, transactions_open{0};

  /// EngineOptions::replicas, each an engine of its own (its own pool).
  struct Replica {
    explicit Replica(Engine e) : engine(std::move(e)) {}
    Engine engine;
    std::atomic<std::int64_t> skip_until_ns{0};  ///< failed: not tried before then (steady clock)
    std::vector<std::pair<int, int>> hook_ids;     ///< the primary's hook id, and this engine's
  };
  std::vector<std::unique_ptr<Replica>> replicas;
  std::atomic<std::size_t> next_replica{0};

  /// One connection fewer exists (closed, or lost); a waiting checkout may open one.
  void forget_one() {
    {
      std::lock_guard lock(mutex);
      --open;
    }
    ++closed;
    returned.notify_one();
  }
  bool too_old(const DriverConnection& c) const {
    return options.pool_recycle_s > 0 &&
           std::chrono::steady_clock::now() - c.opened_at > std::chrono::duration<double>(options.pool_recycle_s);
  }
  std::shared_ptr<DriverConnection> checkout();
  void checkin(std::shared_ptr<DriverConnection> raw);

  void echo(std::string_view line) const {
    if (options.echo_sink) options.echo_sink(line);
    else std::clog << "retort.engine " << line << '\n';
  }
};

}  // namespace detail

using namespace detail;

namespace {

std::string format_duration(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6fs", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

// ---- EngineOptions -------------------------------------------------------------

EngineOptions EngineOptions::from_config(const Config& config) {
  EngineOptions o;
  o.echo = config.echo();
  // A setting's number, between `low` and 1e9; ConfigError naming it otherwise.
  auto number = [&](const char* key, double low) -> std::optional<double> {
    auto text = config.get(key);
    if (!text) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(text->c_str(), &end);
    if (text->empty() || *end != '\0' || !(v >= low && v <= 1e9))  // also refuses NaN
      throw ConfigError(std::string(key) + " = '" + *text + "' is not a number of at least " +
                            std::to_string(static_cast<int>(low)) + "; write e.g. " + key + "=10",
                        ErrorDetails{.location = config.source(key).value_or("")});
    return v;
  };
  if (auto v = number("SQLALCHEMY_POOL_SIZE", 0)) o.pool_size = static_cast<std::size_t>(*v);
  if (auto v = number("SQLALCHEMY_MAX_OVERFLOW", -1))  // -1: no limit, as in SQLAlchemy
    o.max_overflow = *v < 0 ? EngineOptions::unlimited : static_cast<std::size_t>(*v);
  if (auto v = number("SQLALCHEMY_POOL_TIMEOUT", 0)) o.pool_timeout_s = *v;
  if (auto v = number("SQLALCHEMY_POOL_RECYCLE", -1)) o.pool_recycle_s = *v;
  o.pool_pre_ping = config.get_bool("SQLALCHEMY_POOL_PRE_PING", o.pool_pre_ping);
  o.replicas = config.replica_urls();
  return o;
}

// ---- the pool ---------------------------------------------------------------------------

std::shared_ptr<DriverConnection> EngineImpl::checkout() {
  // The clock is read only when the pool is exhausted and the checkout has to
  // wait: most checkouts find an idle connection at once.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Saturating: max_overflow may be EngineOptions::unlimited.
  std::size_t limit = options.pool_size + std::min(options.max_overflow, EngineOptions::unlimited - options.pool_size);
  for (;;) {
    std::shared_ptr<DriverConnection> raw;
    {
      std::unique_lock lock(mutex);
      while (idle.empty() && open >= limit) {
        if (!deadline)
          deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                            std::chrono::duration<double>(options.pool_timeout_s));
        if (returned.wait_until(lock, *deadline) == std::cv_status::timeout && idle.empty() && open >= limit) {
          ++timeouts;
          char timeout[32];
          std::snprintf(timeout, sizeof timeout, "%.2f", options.pool_timeout_s);
          ErrorDetails d;
          d.code = "pool_timeout";
          throw PoolTimeoutError("QueuePool limit of size " + std::to_string(options.pool_size) + " overflow " +
                                     std::to_string(options.max_overflow) + " reached, connection timed out, timeout " +
                                     timeout +
                                     "\nhint: return connections sooner (close sessions at the end of each request), "
                                     "or raise pool_size / max_overflow",
                                 d, /*retryable=*/true);
        }
      }
      if (!idle.empty()) {
        raw = std::move(idle.front());
        idle.pop_front();
      } else {
        ++open;  // reserved: opened below, outside the lock
      }
    }
    if (!raw) {
      try {
        raw = driver->open(url, options);
      } catch (...) {
        forget_one();
        --closed;  // it never opened
        throw;
      }
      ++opened;
      return raw;
    }
    // An idle connection: replace it if it is too old, or lost (pre-ping).
    bool dead = !raw->healthy() || (options.pool_pre_ping && !raw->ping());
    if (!dead && !too_old(*raw)) return raw;
    if (dead) ++invalidated;
    raw.reset();
    forget_one();
  }
}

void EngineImpl::checkin(std::shared_ptr<DriverConnection> raw) {
  if (!raw->healthy()) {
    ++invalidated;
    raw.reset();
    forget_one();
    return;
  }
  {
    std::lock_guard lock(mutex);
    if (idle.size() < options.pool_size && !too_old(*raw)) {
      idle.push_back(std::move(raw));
      returned.notify_one();
      return;
    }
  }
  raw.reset();  // overflow: closed
  forget_one();
}

// ---- Engine ------------------------------------------------------------------------

Engine::Engine(const Url& url, EngineOptions options) : impl_(std::make_shared<EngineImpl>()) {
  auto& mode = options.transaction_mode;
  if (mode.empty()) mode = "deferred";
  if (mode != "deferred" && mode != "immediate" && mode != "exclusive")
    throw ArgumentError("EngineOptions::transaction_mode '" + mode +
                        "' is not a SQLite transaction mode: use \"deferred\" (the default), \"immediate\" or \"exclusive\"");
  impl_->url = url;
  impl_->options = std::move(options);
  impl_->driver = &driver_for(url);
  if (!impl_->options.replicas.empty()) {
    if (impl_->driver->dialect.name() != "postgresql")
      throw ArgumentError("EngineOptions::replicas are PostgreSQL streaming replicas; " + url.render() +
                          " is a " + std::string(impl_->driver->dialect.name()) + " database, which has none");
    EngineOptions replica_options = impl_->options;
    replica_options.replicas.clear();
    replica_options.pool_timeout_s = 0;  // a replica with no free connection: read on the primary, do not wait
    for (auto& r : impl_->options.replicas)
      impl_->replicas.push_back(std::make_unique<EngineImpl::Replica>(Engine(r, replica_options)));
  }
}

bool Engine::has_replicas() const { return !impl_->replicas.empty(); }

std::optional<Connection> Engine::connect_replica(std::string_view min_lsn) {
  auto& e = *impl_;
  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  // One query tells whether the replica has replayed `min_lsn` and how far behind it is (0 when
  // it has replayed all it received: an idle primary is no lag).
  static const std::string probe =
      "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn, CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
      "THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8";
  std::vector<Value> lsn{Value(std::string(min_lsn.empty() ? "0/0" : min_lsn))};
  std::size_t n = e.replicas.size();
  std::size_t start = e.next_replica++;
  for (std::size_t k = 0; k < n; ++k) {
    auto& replica = *e.replicas[(start + k) % n];
    if (replica.skip_until_ns.load() > now_ns()) continue;
    try {
      auto conn = replica.engine.connect();
      auto row = conn.exec_driver_sql(probe, lsn).one();
      bool replayed = !row[0].is_null() && row[0].as_bool();
      if (replayed && row[1].as_double() <= e.options.replica_max_lag_s) return conn;
    } catch (const PoolTimeoutError&) {
      // Busy, not down: the others, or the primary, serve this read.
    } catch (const OperationalError&) {
      // Down, or lost: try the others, and this one again after replica_retry_s.
      replica.skip_until_ns = now_ns() + static_cast<std::int64_t>(e.options.replica_retry_s * 1e9);
    }
  }
  return std::nullopt;
}

std::vector<EngineStats> Engine::replica_stats() const {
  std::vector<EngineStats> out;
  for (auto& r : impl_->replicas) out.push_back(r->engine.stats());
  return out;
}

Engine::Engine(std::string_view url, EngineOptions options) : Engine(Url::parse(url), std::move(options)) {}

Connection Engine::connect() {
  auto& e = *impl_;
  std::shared_ptr<DriverConnection> raw;
  if (e.driver->single_connection(e.url)) {  // a memory database: every Connection shares it
    {
      std::lock_guard lock(e.mutex);
      raw = e.single;
    }
    if (!raw) {
      raw = e.driver->open(e.url, e.options);
      ++e.opened;
      std::lock_guard lock(e.mutex);
      if (!e.single) e.single = raw;
      raw = e.single;
    }
  } else {
    raw = e.checkout();
  }
  ++e.checked_out;
  return Connection(impl_, std::move(raw));
}

const Url& Engine::url() const { return impl_->url; }
const Dialect& Engine::dialect() const { return impl_->driver->dialect; }
const EngineOptions& Engine::options() const { return impl_->options; }

int Engine::add_statement_hook(std::function<void(const StatementEvent&)> hook) {
  std::lock_guard lock(impl_->mutex);
  int id = impl_->next_hook_id++;
  for (auto& replica : impl_->replicas)  // the statements a session reads on a replica are this engine's too
    replica->hook_ids.emplace_back(id, replica->engine.add_statement_hook(hook));
  impl_->hooks.emplace_back(id, std::move(hook));
  impl_->has_hooks = true;
  return id;
}

void Engine::remove_statement_hook(int id) {
  std::lock_guard lock(impl_->mutex);
  std::erase_if(impl_->hooks, [id](auto& h) { return h.first == id; });
  impl_->has_hooks = !impl_->hooks.empty();
  for (auto& replica : impl_->replicas)
    std::erase_if(replica->hook_ids, [&](auto& ids) {
      if (ids.first != id) return false;
      replica->engine.remove_statement_hook(ids.second);
      return true;
    });
}

EngineStats Engine::stats() const {
  auto& e = *impl_;
  EngineStats s{e.statements, e.compilations, e.compile_hits, e.prepares, e.prepare_hits, e.opened, e.checked_out};
  {
    std::lock_guard lock(e.mutex);
    s.connections_idle = e.idle.size();
  }
  s.connections_closed = e.closed;
  s.connections_invalidated = e.invalidated;
  s.pool_timeouts = e.timeouts;
  s.results_open = e.results_open;
  s.transactions_open = e.transactions_open;
  return s;
}

void Engine::dispose() {
  std::deque<std::shared_ptr<DriverConnection>> closing;
  {
    std::lock_guard lock(impl_->mutex);
    closing.swap(impl_->idle);
    impl_->open -= closing.size();
  }
  impl_->closed += closing.size();
  impl_->returned.notify_all();
}

// ---- Connection ----------------------------------------------------------------------

Connection::Connection(std::shared_ptr<EngineImpl> engine, std::shared_ptr<DriverConnection> raw)
    : engine_(std::move(engine)), raw_(std::move(raw)) {}

Connection::Connection(Connection&& o) noexcept
    : engine_(std::move(o.engine_)), raw_(std::move(o.raw_)), depth_(std::exchange(o.depth_, 0)) {}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    release();
    engine_ = std::move(o.engine_);
    raw_ = std::move(o.raw_);
    depth_ = std::exchange(o.depth_, 0);
  }
  return *this;
}

Connection::~Connection() { release(); }

void Connection::release() noexcept {
  if (!engine_ || !raw_) return;
  bool unusable = false;
  if (depth_ > 0) {
    try {
      control("ROLLBACK");
    } catch (...) {
      unusable = true;  // a transaction may still be open on it: never pooled
    }
    set_depth(0);
  }
  --engine_->checked_out;
  auto raw = std::move(raw_);
  if (engine_->driver->single_connection(engine_->url)) return;
  if (unusable) {
    ++engine_->invalidated;
    raw.reset();
    engine_->forget_one();
    return;
  }
  engine_->checkin(std::move(raw));
}

const Dialect& Connection::dialect() const { return engine_->driver->dialect; }
bool Connection::invalidated() const noexcept { return raw_ && !raw_->healthy(); }
Engine Connection::engine() const { return Engine(engine_); }

Result Connection::execute(const Statement& stmt, const Params& params) {
  if (!stmt.node()) throw ArgumentError("execute() of an empty statement");
  Statement effective(with_param_columns(stmt.node(), params));
  std::vector<Value> literals;
  std::string key = cache_key(effective, &literals);
  std::shared_ptr<const CompiledSql> compiled;
  bool hit = false;
  {
    std::lock_guard lock(engine_->mutex);
    auto it = engine_->compiled.find(key);
    if (it != engine_->compiled.end()) {
      compiled = it->second;
      hit = true;
    }
  }
  if (hit) {
    ++engine_->compile_hits;
  } else {
    compiled = std::make_shared<const CompiledSql>(compile(effective, dialect()));
    ++engine_->compilations;
    std::lock_guard lock(engine_->mutex);
    // A full cache is emptied rather than kept in LRU order: statements an
    // application builds repeatedly are few, and this keeps the hit path cheap.
    if (engine_->compiled.size() >= engine_->options.compiled_cache_size) engine_->compiled.clear();
    engine_->compiled.emplace(std::move(key), compiled);
  }
  auto bound = bind_parameters(*compiled, literals, params);
  return run(compiled->sql, bound, hit, 0, 1);
}

void Connection::execute_many(const Statement& stmt, const std::vector<Params>& param_sets) {
  if (param_sets.empty()) return;
  if (!stmt.node()) throw ArgumentError("execute_many() of an empty statement");
  Statement effective(with_param_columns(stmt.node(), param_sets.front()));
  std::vector<Value> literals;
  cache_key(effective, &literals);
  auto compiled = compile(effective, dialect());
  ++engine_->compilations;
  for (std::size_t i = 0; i < param_sets.size(); ++i) {
    auto bound = bind_parameters(compiled, literals, param_sets[i]);
    run(compiled.sql, bound, i > 0, i, param_sets.size()).close();
  }
}

Result Connection::exec_driver_sql(std::string_view sql, std::span<const Value> params) {
  return run(std::string(sql), params, false, 0, 1);
}

Result Connection::run(const std::string& sql, std::span<const Value> params, bool compiled_from_cache,
                       std::size_t batch_index, std::size_t batch_size) {
  if (!raw_) throw ArgumentError("this Connection was moved from or closed; use engine.connect()");
  auto& e = *engine_;
  if (e.options.echo && batch_index == 0) e.echo(sql);
  bool timed = e.options.echo || e.has_hooks;  // the clock is read only for echo's "in 0.1ms" and hooks
  auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  bool reused = false;
  auto cursor = raw_->execute(sql, params, reused);
  auto duration = timed ? std::chrono::steady_clock::now() - start : std::chrono::steady_clock::duration();
  ++e.statements;
  ++(reused ? e.prepare_hits : e.prepares);
  if (e.options.echo && (batch_index == 0 || batch_index + 1 == batch_size)) {
    std::string line = "[" + std::string(compiled_from_cache ? "cached " : "generated ") + "in " +
                       format_duration(duration) + "] " + repr(params);
    if (batch_size > 1) line += " (" + std::to_string(batch_index + 1) + " of " + std::to_string(batch_size) + ")";
    e.echo(line);
  }
  if (e.has_hooks) {
    StatementEvent ev{sql, params, std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count(), compiled_from_cache, reused, batch_index, batch_size};
    std::vector<std::function<void(const StatementEvent&)>> hooks;
    {
      std::lock_guard lock(e.mutex);
      for (auto& h : e.hooks) hooks.push_back(h.second);
    }
    for (auto& h : hooks) h(ev);
  }
  Result result(std::move(cursor));
  result.open_count_ = &e.results_open;
  ++e.results_open;
  return result;
}

void Connection::control(std::string_view sql) {
  if (engine_->options.echo) engine_->echo(sql);
  raw_->execute_control(sql);
}

Transaction Connection::begin() {
  if (depth_ > 0)
    throw ArgumentError("a transaction is already open on this connection; use begin_nested() for a savepoint");
  control(dialect().begin_sql(engine_->options.transaction_mode));
  set_depth(1);
  return Transaction(this, 0);
}

Transaction Connection::begin_nested() {
  if (depth_ == 0) return begin();
  control("SAVEPOINT sp_" + std::to_string(depth_));
  return Transaction(this, depth_++);
}

void Connection::end_transaction(int level, bool commit) {
  if (level >= depth_) return;  // already ended by an enclosing rollback
  if (commit && level != depth_ - 1)
    throw ArgumentError("commit() of an outer transaction while a savepoint inside it is still open; "
                        "commit or roll back the savepoint first");
  std::string sp = "sp_" + std::to_string(level);
  if (commit) {
    try {
      control(level == 0 ? "COMMIT" : "RELEASE SAVEPOINT " + sp);
    } catch (...) {
      // A failed COMMIT (a deferred constraint) leaves the transaction open: undo it.
      try {
        control(level == 0 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT " + sp);
        if (level > 0) control("RELEASE SAVEPOINT " + sp);
      } catch (...) {
      }
      set_depth(level);
      throw;
    }
  } else if (!raw_->healthy()) {
    // The connection is lost: the server has ended the transaction already.
  } else if (level == 0) {
    control("ROLLBACK");
  } else {
    control("ROLLBACK TO SAVEPOINT " + sp);
    control("RELEASE SAVEPOINT " + sp);
  }
  set_depth(level);
}

void Connection::set_depth(int depth) noexcept {
  if ((depth_ > 0) != (depth > 0)) engine_->transactions_open += depth > 0 ? 1 : -1;
  depth_ = depth;
}

// ---- Transaction ------------------------------------------------------------------------

Transaction::Transaction(Transaction&& o) noexcept
    : conn_(o.conn_), depth_(o.depth_), active_(std::exchange(o.active_, false)) {}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    rollback();
  } catch (...) {
    // Never throw from a destructor; the connection rolls back when it closes.
  }
}

void Transaction::commit() {
  if (!active_) throw ArgumentError("commit() on a transaction that has already ended");
  active_ = false;
  conn_->end_transaction(depth_, true);
}

void Transaction::rollback() {
  if (!active_) return;
  active_ = false;
  conn_->end_transaction(depth_, false);
}

// ---- Result and Row -------------------------------------------------------------------------

Result::Result(std::unique_ptr<Cursor> cursor) : cursor_(std::move(cursor)), row_(cursor_.get()) {
  rowcount_ = cursor_->rows_affected();
  lastrowid_ = cursor_->last_insert_id();
}

Result::Result(Result&& o) noexcept { *this = std::move(o); }

Result& Result::operator=(Result&& o) noexcept {
  if (this == &o) return *this;
  if (cursor_ && open_count_) --*open_count_;  // not close(): its names would be replaced at once
  cursor_ = std::move(o.cursor_);
  open_count_ = std::exchange(o.open_count_, nullptr);
  names_ = std::move(o.names_);
  row_ = Row(cursor_.get());
  rowcount_ = o.rowcount_;
  lastrowid_ = o.lastrowid_;
  return *this;
}

Result::~Result() {
  if (cursor_ && open_count_) --*open_count_;
}

bool Result::next() {
  if (!cursor_) return false;
  if (cursor_->next()) return true;
  close();
  return false;
}

const std::vector<std::string>& Result::names() const {
  static const std::vector<std::string> none;
  if (!names_ && cursor_) names_ = cursor_->column_names();
  return names_ ? *names_ : none;
}

std::vector<std::vector<Value>> Result::all() {
  std::vector<std::vector<Value>> rows;
  while (next()) {
    std::vector<Value> r;
    for (int i = 0; i < row_.size(); ++i) r.push_back(row_[i]);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::optional<std::vector<Value>> Result::first() {
  if (!next()) return std::nullopt;
  std::vector<Value> r;
  for (int i = 0; i < row_.size(); ++i) r.push_back(row_[i]);
  close();
  return r;
}

std::vector<Value> Result::one() {
  if (!next()) throw NoResultFound("No row was found when one was required");
  std::vector<Value> r;
  for (int i = 0; i < row_.size(); ++i) r.push_back(row_[i]);
  if (next()) {
    close();
    throw MultipleResultsFound("Multiple rows were found when exactly one was required");
  }
  return r;
}

std::int64_t Result::rowcount() const { return rowcount_; }
std::int64_t Result::lastrowid() const { return lastrowid_; }
std::vector<std::string> Result::keys() const { return names(); }

void Result::close() {
  if (!cursor_) return;
  names();
  cursor_.reset();
  if (open_count_) --*open_count_;
  open_count_ = nullptr;
  row_ = Row(nullptr);
}

int Row::index_of(std::string_view name) const {
  for (int i = 0; i < cursor_->column_count(); ++i)
    if (cursor_->column_name(i) == name) return i;
  std::string known;
  for (int i = 0; i < size(); ++i) known += (i ? ", " : "") + std::string(cursor_->column_name(i));
  throw ArgumentError("the row has no column '" + std::string(name) + "'; its columns are: " + known);
}

void Row::null_into_non_optional(int i) const {
  throw ArgumentError("column '" + std::string(cursor_->column_name(i)) +
                      "' is NULL; read it as std::optional<T> to accept NULL");
}

}  // namespace retort
