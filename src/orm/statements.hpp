// The SQL the unit of work and identity loads send for one model, compiled
// once per dialect and shape and then reused by every session: the hot paths
// (get by key, flush) skip building and keying statement trees.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "retort/core/dialect.hpp"
#include "retort/orm/mapper.hpp"

namespace retort::detail {

struct ClassStatements {
  std::mutex mutex;
  std::map<std::string, std::string> sql;  // dialect, kind and column mask → SQL text
};

/// SELECT every mapped column (in mapping order) WHERE each key column = ?.
const std::string& select_by_key_sql(const ClassInfo& cls, const Dialect& d);
/// INSERT of the columns marked in `included` (mapping order).
const std::string& insert_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included);
/// UPDATE of `changed` columns WHERE key; parameters: changed values, then the key.
const std::string& update_sql(const ClassInfo& cls, const Dialect& d, const std::vector<std::size_t>& changed);
/// DELETE WHERE key.
const std::string& delete_sql(const ClassInfo& cls, const Dialect& d);

}  // namespace retort::detail
