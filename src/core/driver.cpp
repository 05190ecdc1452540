// The table of drivers by URL dialect name: explicit, so a static link keeps them all.
#include "core/driver.hpp"

#include "retort/core/error.hpp"

namespace retort::detail {

const Driver& sqlite_driver();
const Driver& postgresql_driver();

const Driver& driver_for(const Url& url) {
  if (url.dialect == "sqlite") return sqlite_driver();
  if (url.dialect == "postgresql") return postgresql_driver();
  throw ArgumentError("no driver for '" + url.dialect + "' (URL " + url.render() + "); retort knows: sqlite, postgresql");
}

}  // namespace retort::detail
