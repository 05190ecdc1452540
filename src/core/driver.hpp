// The seam between the engine and a database's C client library. Each dialect
// folder (src/core/dialect/<name>/) implements these; nothing above them sees
// sqlite3.h or libpq-fe.h.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "retort/core/detail/cursor.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/url.hpp"

namespace retort::detail {

class DriverConnection {
 public:
  virtual ~DriverConnection() = default;
  /// Runs `sql` with `params` and steps to the first row. `reused` tells
  /// whether a cached prepared statement served it. Throws the typed error.
  virtual std::unique_ptr<Cursor> execute(const std::string& sql, std::span<const Value> params, bool& reused) = 0;
  /// Runs a statement without parameters or rows (BEGIN, COMMIT, SAVEPOINT, PRAGMA).
  virtual void execute_control(std::string_view sql) = 0;
  /// False once the connection is known to be unusable.
  virtual bool healthy() const = 0;
  /// A round trip to the server: false when it does not answer (the pool's pre-ping).
  virtual bool ping() noexcept {
    try {
      execute_control("SELECT 1");
      return true;
    } catch (...) {
      return false;
    }
  }
  /// When it was opened: the pool replaces connections older than pool_recycle_s.
  const std::chrono::steady_clock::time_point opened_at = std::chrono::steady_clock::now();
};

/// How an engine opens connections for one dialect.
struct Driver {
  const Dialect& dialect;
  std::shared_ptr<DriverConnection> (*open)(const Url& url, const EngineOptions& options);
  /// Whether every Connection must share one driver connection (SQLite memory databases).
  bool (*single_connection)(const Url& url);
};

/// The driver for a URL's dialect; ArgumentError listing the known ones.
const Driver& driver_for(const Url& url);

}  // namespace retort::detail
