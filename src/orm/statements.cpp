// Per-model SQL, compiled through the core compiler once per dialect and shape.
#include "orm/statements.hpp"

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

template <class Build>
const std::string& cached(const ClassInfo& cls, const Dialect& d, std::string key, Build build) {
  auto& st = *cls.statements;
  key = std::string(d.name()) + "/" + key;
  std::lock_guard lock(st.mutex);
  auto it = st.sql.find(key);
  if (it == st.sql.end()) it = st.sql.emplace(std::move(key), compile(build(), d).sql).first;
  return it->second;
}

}  // namespace

const std::string& select_by_key_sql(const ClassInfo& cls, const Dialect& d) {
  return cached(cls, d, "select", [&] { return select(*cls.table).where(key_condition(cls)); });
}

const std::string& insert_sql(const ClassInfo& cls, const Dialect& d, const std::vector<bool>& included) {
  std::string key = "insert/";
  for (bool b : included) key += b ? '1' : '0';
  return cached(cls, d, key, [&] {
    Assignments values;
    for (std::size_t i = 0; i < cls.columns.size(); ++i)
      if (included[i]) values.emplace_back(cls.columns[i].spec().name, bindparam(cls.columns[i].spec().name));
    return insert(*cls.table).values(std::move(values));
  });
}

const std::string& update_sql(const ClassInfo& cls, const Dialect& d, const std::vector<std::size_t>& changed) {
  std::string key = "update";
  for (auto c : changed) key += "/" + std::to_string(c);
  return cached(cls, d, key, [&] {
    Assignments values;
    for (auto c : changed) values.emplace_back(cls.columns[c].spec().name, bindparam(cls.columns[c].spec().name));
    return update(*cls.table).values(std::move(values)).where(key_condition(cls));
  });
}

const std::string& delete_sql(const ClassInfo& cls, const Dialect& d) {
  return cached(cls, d, "delete", [&] { return delete_(*cls.table).where(key_condition(cls)); });
}

}  // namespace retort::detail
