// Queries for objects: a SELECT of the model's columns in mapping order, run
// after autoflush, each row turned into an object through the identity map.
#include "retort/orm/query.hpp"

#include "orm/session_impl.hpp"

namespace retort::detail {

Expr column_expr(const ClassInfo& cls, std::size_t column) { return cls.table->c(cls.columns[column].spec().name); }

QueryCore::QueryCore(SessionImpl* session, const ClassInfo& cls)
    : session_(session), cls_(&cls), select_(select(*cls.table)) {}

QueryCore QueryCore::filter(const Expr& condition) const {
  QueryCore q = *this;
  q.select_ = select_.where(condition);
  return q;
}

QueryCore QueryCore::filter_by(std::string_view name, Value value) const {
  // A run-time name (from a request, say) is only ever a mapped column: never SQL.
  return filter(column_expr(*cls_, cls_->column_named(name)) == Expr(std::move(value)));
}

QueryCore QueryCore::order_by(std::vector<Expr> keys) const {
  QueryCore q = *this;
  q.select_ = select_.order_by(std::move(keys));
  return q;
}

QueryCore QueryCore::order_by(std::string_view name, bool descending) const {
  auto c = column_expr(*cls_, cls_->column_named(name));
  return order_by({descending ? c.desc() : c.asc()});
}

QueryCore QueryCore::limit(std::int64_t n) const {
  QueryCore q = *this;
  q.select_ = select_.limit(n);
  return q;
}

QueryCore QueryCore::offset(std::int64_t n) const {
  QueryCore q = *this;
  q.select_ = select_.offset(n);
  return q;
}

QueryCore QueryCore::distinct() const {
  QueryCore q = *this;
  q.select_ = select_.distinct();
  return q;
}

std::vector<InstanceBase*> QueryCore::fetch() const {
  session_->autoflush();
  auto result = session_->connection(false).execute(select_);
  std::vector<InstanceBase*> out;
  while (result.next()) out.push_back(session_->load_row(*cls_, result.row()));
  return out;
}

std::int64_t QueryCore::count() const {
  session_->autoflush();
  auto sub = select_.subquery("anon_1");
  return session_->connection(false).execute(select({func::count().label("count_1")}).select_from(sub)).scalar<std::int64_t>();
}

bool QueryCore::exists() const {
  session_->autoflush();
  return session_->connection(false).execute(select({retort::exists(select_)})).scalar<bool>();
}

}  // namespace retort::detail
