// The table of drivers by URL dialect name: explicit, so a static link keeps them all.
#include "core/driver.hpp"

#include "retort/core/error.hpp"

namespace retort::detail {

const Driver& sqlite_driver();

const Driver& driver_for(const Url& url) {
  if (url.dialect == "sqlite") return sqlite_driver();
  throw ArgumentError("no driver for '" + url.dialect + "' (URL " + url.render() + "); retort knows: sqlite" +
                      (url.dialect == "postgresql" ? " (PostgreSQL support is not built into this version yet)" : ""));
}

}  // namespace retort::detail
