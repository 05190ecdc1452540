// Per-model SQL, compiled through the core compiler once per dialect and shape.
#include "orm/statements.hpp"

#include <algorithm>
#include <charconv>

#include "orm/relationships.hpp"
#include "retort/core/sql.hpp"

namespace retort::detail {

namespace {

Expr key_condition(const ClassInfo& cls) {
  std::vector<Expr> terms;
  for (auto k : cls.primary_key) {
    auto& name = cls.columns[k].spec().name;
    terms.push_back(cls.table->c(name) == bindparam("key_" + name));
  }
  return and_(std::move(terms));
}

/// A statement's cache key, "dialect/kind/shape", written into a buffer on the
/// stack: the hot paths (one INSERT per object, one lazy load per parent) look
/// their SQL up without allocating. Longer keys (very wide models) spill to a string.
class StatementKey {
 public:
  StatementKey(const Dialect& d, std::string_view kind) {
    append(d.name());
    append('/');
    append(kind);
  }
  void append(char c) { append(std::string_view(&c, 1)); }
  void append(std::string_view s) {
    if (spill_.empty() && size_ + s.size() <= sizeof(buf_)) {
      std::copy(s.begin(), s.end(), buf_ + size_);
      size_ += s.size();
      return;
    }
    if (spill_.empty()) spill_.assign(buf_, size_);
    spill_ += s;
  }
  void append(std::size_t n) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
    append(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  std::string_view view() const { return spill_.empty() ? std::string_view(buf_, size_) : std::string_view(spill_); }

 private:
  char buf_[160];
  std::size_t size_ = 0;
  std::string spill_;
};

/// The SQL text under `key`, made by `build_text()` once.
template <class BuildText>
const std::string& cached_text(const ClassInfo& cls, const StatementKey& key, BuildText build_text) {
  auto& st = *cls.statements;
  std::lock_guard lock(st.mutex);
  auto it = st.sql.find(key.view());
  if (it == st.sql.end()) it = st.sql.emplace(std::string(key.view()), build_text()).first;
  return it->second;
}

/// The statement `build()` makes, compiled once for this dialect.
template <class Build>
const std::string& cached(const ClassInfo& cls, const Dialect& d, const StatementKey& key, Build build) {
  return cached_text(cls, key, [&] { return compile(build(), d).sql; });
}

/// '1' for each included column, '0' for the others.
void append_mask(StatementKey& key, const std::vector<bool>& included) {
  for (bool b : included) key.append(b ? '1' : '0');
}

}  // namespace

const std::string& select_by_key_sql(const ClassInfo& cls, const Dialect& d) {
  return cached(cls, d, StatementKey(d, "select"), [&] { return select(*cls.table).where(key_condition(cls)); });
}

bool returns_generated_key(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included) {
  return !d.has_lastrowid() && cls.autoincrement >= 0 && !included[static_cast<std::size_t>(cls.autoincrement)];
}

const std::string& insert_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included) {
  StatementKey key(d, "insert/");
  append_mask(key, included);
  return cached(cls, d, key, [&] {
    Assignments values;
    for (std::size_t i = 0; i < cls.columns.size(); ++i)
      if (included[i]) values.emplace_back(cls.columns[i].spec().name, bindparam(cls.columns[i].spec().name));
    auto stmt = insert(*cls.table).values(std::move(values));
    if (returns_generated_key(cls, d, included))
      stmt = stmt.returning({cls.table->c(cls.columns[static_cast<std::size_t>(cls.autoincrement)].spec().name)});
    return stmt;
  });
}

const std::string& insert_many_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included,
                                   std::size_t rows) {
  StatementKey key(d, "insert-many/");
  key.append(rows);
  key.append('/');
  append_mask(key, included);
  // The one-row statement (taken before the cache's lock), its VALUES (...) repeated once per row.
  const std::string& one = insert_sql(cls, d, included);
  return cached_text(cls, key, [&] {
    auto values = one.find(" VALUES (");
    auto close = one.find(')', values);
    std::size_t columns = static_cast<std::size_t>(std::count(included.begin(), included.end(), true));
    std::string sql = one.substr(0, values) + " VALUES ";
    for (std::size_t r = 0, n = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t c = 0; c < columns; ++c) sql += (c ? ", " : "") + d.placeholder(++n);
      sql += ')';
    }
    return sql + one.substr(close + 1);
  });
}

const std::string& update_sql(const ClassInfo& cls, const Dialect& d, const std::vector<std::size_t>& changed) {
  StatementKey key(d, "update");
  for (auto c : changed) {
    key.append('/');
    key.append(c);
  }
  return cached(cls, d, key, [&] {
    Assignments values;
    for (auto c : changed) values.emplace_back(cls.columns[c].spec().name, bindparam(cls.columns[c].spec().name));
    return update(*cls.table).values(std::move(values)).where(key_condition(cls));
  });
}

const std::string& delete_sql(const ClassInfo& cls, const Dialect& d) {
  return cached(cls, d, StatementKey(d, "delete"), [&] { return delete_(*cls.table).where(key_condition(cls)); });
}

std::vector<Expr> relationship_order(const RelationshipInfo& rel, const From& target) {
  std::vector<Expr> keys;
  for (auto [col, desc] : rel.order_by) {
    auto c = target.c(rel.target->columns[col].spec().name);
    keys.push_back(desc ? c.desc() : c.asc());
  }
  return keys;
}

const std::string& lazy_load_sql(const RelationshipInfo& rel, const Dialect& d) {
  // Keyed on the owner's statements: one relationship name is unique per model.
  StatementKey key(d, "lazy/");
  key.append(rel.name);
  return cached(*rel.owner, d, key, [&] {
    const ClassInfo& target = *rel.target;
    std::vector<Expr> terms;
    Select s = select(*target.table);
    if (rel.direction == Direction::many_to_many) {
      const Table& sec = *rel.secondary;
      for (std::size_t k = 0; k < rel.secondary_owner.size(); ++k)
        terms.push_back(bindparam("param_" + std::to_string(k + 1)) == sec.c(rel.secondary_owner[k]));
      for (std::size_t k = 0; k < rel.secondary_target.size(); ++k)
        terms.push_back(target.table->c(target.columns[rel.target_cols[k]].spec().name) == sec.c(rel.secondary_target[k]));
      s = s.select_from(sec);
    } else {
      // one-to-many: ? = child.fk; many-to-one: parent.key = ?
      const auto& remote = rel.direction == Direction::one_to_many ? rel.child_cols : rel.parent_cols;
      for (std::size_t k = 0; k < remote.size(); ++k)
        terms.push_back(bindparam("param_" + std::to_string(k + 1)) == target.table->c(target.columns[remote[k]].spec().name));
    }
    return s.where(and_(std::move(terms))).order_by(relationship_order(rel, *target.table));
  });
}

const std::string& association_insert_sql(const RelationshipInfo& rel, const Dialect& d) {
  StatementKey key(d, "assoc-insert/");
  key.append(rel.name);
  return cached(*rel.owner, d, key, [&] {
    Assignments values;
    for (auto& c : rel.secondary_owner) values.emplace_back(c, bindparam(c));
    for (auto& c : rel.secondary_target) values.emplace_back(c, bindparam(c));
    return insert(*rel.secondary).values(std::move(values));
  });
}

const std::string& association_delete_sql(const RelationshipInfo& rel, const Dialect& d) {
  StatementKey key(d, "assoc-delete/");
  key.append(rel.name);
  return cached(*rel.owner, d, key, [&] {
    std::vector<Expr> terms;
    for (auto& c : rel.secondary_owner) terms.push_back(rel.secondary->c(c) == bindparam(c));
    for (auto& c : rel.secondary_target) terms.push_back(rel.secondary->c(c) == bindparam(c));
    return delete_(*rel.secondary).where(and_(std::move(terms)));
  });
}

}  // namespace retort::detail
