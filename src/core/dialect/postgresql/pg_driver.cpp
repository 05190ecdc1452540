// The PostgreSQL driver: connections over libpq, statements prepared on the
// server once per connection (an LRU of named statements) and then executed
// with text parameters, and SQLSTATEs mapped onto retort's typed errors.
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <list>
#include <unordered_map>

#include "core/driver.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/error.hpp"

namespace retort::detail {

const Dialect& postgresql_dialect();

namespace {

// Type OIDs (pg_type.h) that decide how a text value is read back.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701;

/// Throws the retort error for a failed result (or connection) on `conn`.
[[noreturn]] void raise(PGconn* conn, const PGresult* res, const std::string& sql, std::span<const Value> params) {
  auto field = [&](int code) -> std::string {
    const char* v = res ? PQresultErrorField(res, code) : nullptr;
    return v ? v : "";
  };
  std::string message = res ? field(PG_DIAG_MESSAGE_PRIMARY) : "";
  if (message.empty()) message = conn ? PQerrorMessage(conn) : "connection failed";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  ErrorDetails d;
  d.sql = sql;
  d.params = repr(params, 40);
  d.db_message = message;
  d.sqlstate = field(PG_DIAG_SQLSTATE);
  d.constraint = field(PG_DIAG_CONSTRAINT_NAME);
  // NOT NULL has no constraint name: name the column, as SQLite's message does.
  if (d.constraint.empty() && !field(PG_DIAG_COLUMN_NAME).empty())
    d.constraint = field(PG_DIAG_TABLE_NAME) + "." + field(PG_DIAG_COLUMN_NAME);
  std::string tail;
  if (!sql.empty()) tail = "\n[SQL: " + sql + "]";
  if (!params.empty()) tail += "\n[parameters: " + d.params + "]";
  std::string detail = field(PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) tail = "\nDETAIL: " + detail + tail;
  const std::string& state = d.sqlstate;
  bool lost = !conn || PQstatus(conn) != CONNECTION_OK || state.rfind("08", 0) == 0 || state == "57P01" ||
              state == "57P02" || state == "57P03";
  if (state.rfind("23", 0) == 0) {
    d.code = "integrity";
    throw IntegrityError("(psycopg2.errors.IntegrityError) " + message + tail, d);
  }
  if (state == "40001" || state == "40P01" || state == "55P03") {
    d.code = "operational";
    throw OperationalError("(psycopg2.errors.OperationalError) " + message +
                               "\nhint: the transaction was rolled back by a conflict; run it again" + tail,
                           d, /*retryable=*/true);
  }
  if (lost || state.rfind("53", 0) == 0 || state.rfind("58", 0) == 0) {
    d.code = "operational";
    throw OperationalError("(psycopg2.OperationalError) " + message + tail, d);
  }
  if (state.rfind("22", 0) == 0) {
    d.code = "data";
    throw DataError("(psycopg2.errors.DataError) " + message + tail, d);
  }
  d.code = "programming";
  throw ProgrammingError("(psycopg2.errors.ProgrammingError) " + message + tail, d);
}

/// A text parameter for libpq (or null for NULL); bytes go as binary.
/// `type` is the OID the server is told (0: let it infer, as for text).
struct Param {
  std::string text;
  Oid type = 0;
  bool null = false;
  bool binary = false;
};

Param to_param(const Value& v, std::size_t position, const std::string& sql) {
  Param p;
  switch (v.kind()) {
    case Value::Kind::null: p.null = true; break;
    case Value::Kind::boolean:
      p.text = v.as_bool() ? "true" : "false";
      p.type = kBool;
      break;
    case Value::Kind::integer:
      // The smallest of int4 and int8 that holds it (as psycopg 3 does): int4
      // converts implicitly where a function wants an integer (substr, round, date + n).
      p.text = std::to_string(v.as_int());
      p.type = v.as_int() >= INT32_MIN && v.as_int() <= INT32_MAX ? kInt4 : kInt8;
      break;
    case Value::Kind::real: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
      p.text.assign(buf, r.ptr);
      p.type = kFloat8;
      break;
    }
    case Value::Kind::text:
      // libpq sends text NUL-terminated: a NUL would cut the value short, silently.
      if (v.as_text().find('\0') != std::string::npos) {
        ErrorDetails d;
        d.sql = sql;
        d.code = "data";
        throw DataError("PostgreSQL text cannot contain NUL (0x00) characters (parameter " +
                            std::to_string(position + 1) + "): store such values in a LargeBinary (bytea) column",
                        d);
      }
      p.text = v.as_text();
      break;
    case Value::Kind::bytes: {
      auto& b = v.as_bytes();
      p.text.assign(reinterpret_cast<const char*>(b.data()), b.size());
      p.binary = true;
      p.type = kBytea;
      break;
    }
  }
  return p;
}

class PgConnection;

class PgCursor final : public Cursor {
 public:
  explicit PgCursor(PGresult* res) : res_(res), rows_(PQntuples(res)) {}
  ~PgCursor() override { PQclear(res_); }

  bool next() override { return ++row_ < rows_; }
  int column_count() const override { return PQnfields(res_); }
  std::string_view column_name(int i) const override { return PQfname(res_, i); }
  bool is_null(int i) const override { return PQgetisnull(res_, row_, i); }
  std::int64_t get_int(int i) const override {
    auto t = get_text(i);
    if (PQftype(res_, i) == kBool) return t == "t" ? 1 : 0;
    std::int64_t out = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), out);
    if (r.ec != std::errc()) return static_cast<std::int64_t>(std::strtod(std::string(t).c_str(), nullptr));
    return out;
  }
  double get_double(int i) const override { return std::strtod(std::string(get_text(i)).c_str(), nullptr); }
  std::string_view get_text(int i) const override {
    return {PQgetvalue(res_, row_, i), static_cast<std::size_t>(PQgetlength(res_, row_, i))};
  }
  std::span<const unsigned char> get_bytes(int i) const override {
    bytes_ = unhex(get_text(i));
    return {bytes_.data(), bytes_.size()};
  }
  Value get_value(int i) const override {
    if (is_null(i)) return Value();
    switch (PQftype(res_, i)) {
      case kBool: return Value(get_text(i) == "t");
      case kInt2:
      case kInt4:
      case kInt8: return Value(get_int(i));
      case kFloat4:
      case kFloat8: return Value(get_double(i));
      case kBytea: {
        auto b = get_bytes(i);
        return Value(Bytes(b.begin(), b.end()));
      }
      default: return Value(std::string(get_text(i)));
    }
  }
  std::int64_t rows_affected() const override {
    const char* n = PQcmdTuples(res_);
    return n && *n ? std::atoll(n) : 0;
  }
  std::int64_t last_insert_id() const override { return 0; }

 private:
  /// bytea's text form: \x followed by hex digits.
  static Bytes unhex(std::string_view t) {
    Bytes out;
    if (t.size() < 2 || t[0] != '\\' || t[1] != 'x') return Bytes(t.begin(), t.end());
    auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (std::size_t k = 2; k + 1 < t.size(); k += 2)
      out.push_back(static_cast<unsigned char>(digit(t[k]) * 16 + digit(t[k + 1])));
    return out;
  }

  PGresult* res_;
  int rows_;
  int row_ = -1;
  mutable Bytes bytes_;
};

class PgConnection final : public DriverConnection {
 public:
  PgConnection(const Url& url, const EngineOptions& options) : cache_size_(options.statement_cache_size) {
    std::vector<std::pair<std::string, std::string>> kv;
    if (!url.host.empty()) kv.emplace_back("host", url.host);
    if (url.port) kv.emplace_back("port", std::to_string(*url.port));
    if (!url.database.empty()) kv.emplace_back("dbname", url.database);
    if (url.username) kv.emplace_back("user", *url.username);
    if (url.password) kv.emplace_back("password", *url.password);
    for (auto& [k, v] : url.query) kv.emplace_back(k, v);
    std::vector<const char*> keys, values;
    for (auto& [k, v] : kv) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      ErrorDetails d;
      d.db_message = msg;
      d.sqlstate = "08001";
      d.code = "operational";
      throw OperationalError("(psycopg2.OperationalError) cannot connect to " + url.render() + ": " + msg +
                                 "hint: check that the server runs and accepts connections at this host and port",
                             d);
    }
    execute_control("SET client_min_messages TO WARNING");
  }
  ~PgConnection() override {
    if (conn_) PQfinish(conn_);
  }

  std::unique_ptr<Cursor> execute(const std::string& sql, std::span<const Value> params, bool& reused) override {
    std::vector<Param> ps;
    ps.reserve(params.size());
    for (std::size_t k = 0; k < params.size(); ++k) ps.push_back(to_param(params[k], k, sql));
    // An INSERT's values take their columns' types: the server infers them, and
    // one prepared statement serves whatever mix of NULLs and values comes.
    if (sql.rfind("INSERT", 0) == 0)
      for (auto& p : ps) p.type = 0;
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<Oid> types;
    for (auto& p : ps) {
      values.push_back(p.null ? nullptr : p.text.data());
      lengths.push_back(static_cast<int>(p.text.size()));
      formats.push_back(p.binary ? 1 : 0);
      types.push_back(p.type);
    }
    const std::string& name = prepared(sql, types, params, reused);
    PGresult* res = PQexecPrepared(conn_, name.c_str(), static_cast<int>(ps.size()), values.data(), lengths.data(),
                                   formats.data(), 0);
    check(res, sql, params);
    return std::make_unique<PgCursor>(res);
  }

  void execute_control(std::string_view sql) override {
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    check(res, text, {});
    PQclear(res);
  }

  bool healthy() const override { return conn_ && !broken_ && PQstatus(conn_) == CONNECTION_OK; }

 private:
  /// The server-side statement for `sql` with these parameter types, prepared
  /// on first use; the least recently used one is deallocated when the cache is full.
  const std::string& prepared(const std::string& sql, const std::vector<Oid>& types, std::span<const Value> params,
                              bool& reused) {
    // Typed parameters are part of the key (`SELECT $1` prepared for an integer
    // cannot take a float); untyped statements, INSERTs among them, are found
    // by their SQL without copying it.
    std::string typed;
    if (std::any_of(types.begin(), types.end(), [](Oid t) { return t != 0; })) {
      typed = sql + '\0';
      for (Oid t : types) typed += std::to_string(t) + ",";
    }
    const std::string& key = typed.empty() ? sql : typed;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      reused = true;
      return it->second.name;
    }
    reused = false;
    if (cache_size_ > 0 && cache_.size() >= cache_size_) {
      auto& oldest = lru_.back();
      auto victim = cache_.find(oldest);
      execute_control("DEALLOCATE " + victim->second.name);
      cache_.erase(victim);
      lru_.pop_back();
    }
    std::string name = "retort_" + std::to_string(++counter_);
    PGresult* res = PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data());
    check(res, sql, params);
    PQclear(res);
    lru_.push_front(key);
    auto& entry = cache_[key];
    entry.name = std::move(name);
    entry.lru = lru_.begin();
    return entry.name;
  }

  void check(PGresult* res, const std::string& sql, std::span<const Value> params) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    try {
      raise(conn_, res, sql, params);
    } catch (...) {
      if (res) PQclear(res);
      throw;
    }
  }

  struct Entry {
    std::string name;
    std::list<std::string>::iterator lru;
  };
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  std::size_t cache_size_;
  std::size_t counter_ = 0;
  std::unordered_map<std::string, Entry> cache_;
  std::list<std::string> lru_;
};

std::shared_ptr<DriverConnection> open(const Url& url, const EngineOptions& options) {
  return std::make_shared<PgConnection>(url, options);
}

bool single_connection(const Url&) { return false; }

}  // namespace

const Driver& postgresql_driver() {
  static const Driver driver{postgresql_dialect(), &open, &single_connection};
  return driver;
}

}  // namespace retort::detail
