// The SQL the unit of work and identity loads send for one model, compiled
// once per dialect and shape and then reused by every session: the hot paths
// (get by key, flush) skip building and keying statement trees.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "retort/core/dialect.hpp"
#include "retort/core/sql.hpp"
#include "retort/orm/mapper.hpp"

namespace retort::detail {

struct ClassStatements {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> sql;  // dialect, kind and column mask → SQL text (found by string_view)
};

/// SELECT every mapped column (in mapping order) WHERE each key column = ?.
const std::string& select_by_key_sql(const ClassInfo& cls, const Dialect& d);
/// Whether the INSERT reads the generated key back with RETURNING (no lastrowid on this dialect).
bool returns_generated_key(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included);
/// INSERT of the columns marked in `included` (mapping order); RETURNING the
/// generated key where returns_generated_key says so.
const std::string& insert_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included);
/// insert_sql for `rows` rows at once: VALUES (...), (...), ... with the
/// parameters of each row in turn; RETURNING as insert_sql.
const std::string& insert_many_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included,
                                   std::size_t rows);
/// UPDATE of `changed` columns WHERE key; parameters: changed values, then the key.
const std::string& update_sql(const ClassInfo& cls, const Dialect& d, const std::vector<std::size_t>& changed);
/// DELETE WHERE key.
const std::string& delete_sql(const ClassInfo& cls, const Dialect& d);

/// The lazy load of a relationship: the target's columns WHERE ? = the joining
/// column (and the association table's join for a many-to-many), in its order.
const std::string& lazy_load_sql(const RelationshipInfo& rel, const Dialect& d);
/// INSERT of one association row: the owner's columns, then the target's.
const std::string& association_insert_sql(const RelationshipInfo& rel, const Dialect& d);
/// DELETE of association rows WHERE owner columns = ? AND target columns = ?.
const std::string& association_delete_sql(const RelationshipInfo& rel, const Dialect& d);
/// The target's columns ordered by the relationship's order_by.
std::vector<Expr> relationship_order(const RelationshipInfo& rel, const From& target);

}  // namespace retort::detail
