// Queries for objects: a SELECT of the model's columns in mapping order, run
// after autoflush, each row turned into an object through the identity map.
#include "retort/orm/query.hpp"

#include "orm/loading.hpp"
#include "orm/session_impl.hpp"
#include "orm/statements.hpp"

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
  q.limited_ = true;
  return q;
}

QueryCore QueryCore::offset(std::int64_t n) const {
  QueryCore q = *this;
  q.select_ = select_.offset(n);
  q.limited_ = true;
  return q;
}

namespace {

Expr column_of(const From& f, const ClassInfo& cls, std::size_t c) { return f.c(cls.columns[c].spec().name); }

/// `a.x = b.y AND ...` for pairs of column indexes.
Expr pairs_equal(const From& a, const ClassInfo& ca, const std::vector<std::size_t>& xs, const From& b,
                 const ClassInfo& cb, const std::vector<std::size_t>& ys) {
  std::vector<Expr> terms;
  for (std::size_t k = 0; k < xs.size(); ++k) terms.push_back(column_of(a, ca, xs[k]) == column_of(b, cb, ys[k]));
  return and_(std::move(terms));
}

}  // namespace

QueryCore QueryCore::join(std::string_view name) const {
  const RelationshipInfo& rel = relationship_named(*cls_, name);
  rel.check_one_bind("join()");
  const ClassInfo& target = *rel.target;
  if (&target == cls_)
    throw ArgumentError("join(\"" + std::string(name) + "\"): " + rel.qualified() +
                        " is self-referential; join an alias with statement().join(...) instead");
  QueryCore q = *this;
  const Table& me = *cls_->table;
  const Table& them = *target.table;
  if (rel.direction == Direction::many_to_many) {
    const Table& sec = *rel.secondary;
    std::vector<Expr> a, b;
    for (std::size_t k = 0; k < rel.owner_cols.size(); ++k)
      a.push_back(column_of(me, *cls_, rel.owner_cols[k]) == sec.c(rel.secondary_owner[k]));
    for (std::size_t k = 0; k < rel.target_cols.size(); ++k)
      b.push_back(column_of(them, target, rel.target_cols[k]) == sec.c(rel.secondary_target[k]));
    q.select_ = select_.join(sec, and_(std::move(a))).join(them, and_(std::move(b)));
  } else if (rel.direction == Direction::one_to_many) {
    q.select_ = select_.join(them, pairs_equal(me, *cls_, rel.parent_cols, them, target, rel.child_cols));
  } else {
    q.select_ = select_.join(them, pairs_equal(me, *cls_, rel.child_cols, them, target, rel.parent_cols));
  }
  q.joins_.push_back(&rel);
  return q;
}

QueryCore QueryCore::options(const std::vector<LoadOption>& options) const {
  QueryCore q = *this;
  for (auto& o : options) q.options_.push_back(o.path());
  make_plan(*cls_, q.options_, nullptr, 0);  // unknown names fail here, where the option is written
  return q;
}

QueryCore QueryCore::with_parent(const RelationshipInfo& rel, InstanceBase* object) const {
  if (!object) null_access();
  if (object->flags & flag_expired) on_access(object);  // its key is read below
  if (rel.target != cls_ || object->cls != rel.owner)
    throw ArgumentError("with_parent: " + rel.qualified() + " does not relate " + object->cls->type_name + " to " +
                        cls_->type_name);
  const Table& me = *cls_->table;
  std::vector<Expr> terms;
  QueryCore q = *this;
  auto value = [&](std::size_t c) { return Expr(object->cls->columns[c].access->get(object->object)); };
  if (rel.direction == Direction::many_to_many) {
    const Table& sec = *rel.secondary;
    std::vector<Expr> on;
    for (std::size_t k = 0; k < rel.target_cols.size(); ++k)
      on.push_back(column_of(me, *cls_, rel.target_cols[k]) == sec.c(rel.secondary_target[k]));
    q.select_ = q.select_.join(sec, and_(std::move(on)));
    for (std::size_t k = 0; k < rel.owner_cols.size(); ++k) terms.push_back(sec.c(rel.secondary_owner[k]) == value(rel.owner_cols[k]));
  } else if (rel.direction == Direction::one_to_many) {
    for (std::size_t k = 0; k < rel.child_cols.size(); ++k)
      terms.push_back(column_of(me, *cls_, rel.child_cols[k]) == value(rel.parent_cols[k]));
  } else {
    for (std::size_t k = 0; k < rel.parent_cols.size(); ++k)
      terms.push_back(column_of(me, *cls_, rel.parent_cols[k]) == value(rel.child_cols[k]));
  }
  q.select_ = q.select_.where(and_(std::move(terms)));
  auto order = relationship_order(rel, me);
  if (!order.empty()) q.select_ = q.select_.order_by(std::move(order));
  return q;
}

QueryCore QueryCore::filter_related(std::string_view name, InstanceBase* object) const {
  const RelationshipInfo& rel = relationship_named(*cls_, name);
  const Table& me = *cls_->table;
  if (!object) {  // filter_by("owner", nullptr): no parent
    if (rel.direction != Direction::many_to_one)
      throw ArgumentError("filter_by(\"" + std::string(name) + "\", null): only a many-to-one can be compared with null");
    std::vector<Expr> terms;
    for (auto c : rel.child_cols) terms.push_back(column_of(me, *cls_, c).is_null());
    return filter(and_(std::move(terms)));
  }
  if (object->flags & flag_expired) on_access(object);  // its key is read below
  if (object->cls != rel.target)
    throw ArgumentError("filter_by(\"" + std::string(name) + "\"): " + rel.qualified() + " refers to " +
                        rel.target->type_name + " objects, not " + object->cls->type_name);
  auto value = [&](std::size_t c) { return Expr(object->cls->columns[c].access->get(object->object)); };
  std::vector<Expr> terms;
  if (rel.direction == Direction::many_to_one) {
    for (std::size_t k = 0; k < rel.child_cols.size(); ++k)
      terms.push_back(column_of(me, *cls_, rel.child_cols[k]) == value(rel.parent_cols[k]));
  } else if (rel.direction == Direction::one_to_many) {
    for (std::size_t k = 0; k < rel.parent_cols.size(); ++k)
      terms.push_back(column_of(me, *cls_, rel.parent_cols[k]) == value(rel.child_cols[k]));
  } else {
    // EXISTS (SELECT * FROM secondary WHERE secondary.owner = me.key AND secondary.target = ?)
    const Table& sec = *rel.secondary;
    std::vector<Expr> inner;
    for (std::size_t k = 0; k < rel.owner_cols.size(); ++k)
      inner.push_back(sec.c(rel.secondary_owner[k]) == column_of(me, *cls_, rel.owner_cols[k]));
    for (std::size_t k = 0; k < rel.target_cols.size(); ++k) inner.push_back(sec.c(rel.secondary_target[k]) == value(rel.target_cols[k]));
    terms.push_back(retort::exists(select(sec).where(and_(std::move(inner)))));
  }
  return filter(and_(std::move(terms)));
}

QueryCore QueryCore::distinct() const {
  QueryCore q = *this;
  q.select_ = select_.distinct();
  return q;
}

QueryCore QueryCore::with_for_update() const {
  QueryCore q = *this;
  q.select_ = select_.with_for_update();
  q.for_update_ = true;
  return q;
}

void QueryCore::prepare_read() const {
  session_->autoflush();
  if (for_update_) {
    // Row locks are taken on the primary (a standby refuses them), in the transaction that will
    // write; it reads there from now on, and losing its connection loses the locks, as a write would.
    auto& bind = session_->bind_of(cls_);
    session_->connection(true, bind);
    bind.wrote = true;
  }
}

std::vector<InstanceBase*> QueryCore::fetch() const {
  prepare_read();
  if (!cls_->related) {
    auto result = session_->read(cls_, [&](Connection& c) { return c.execute(select_); });
    std::vector<InstanceBase*> out;
    while (result.next()) out.push_back(session_->load_row(*cls_, result.row()));
    return out;
  }
  return run_query(*session_, *cls_, select_, limited_, make_plan(*cls_, options_, nullptr, 0), joins_);
}

std::shared_ptr<StreamLoader> QueryCore::stream(std::size_t batch) const {
  // Joins the user asked for (join()) are in select_; the plan adds only eager loads.
  prepare_read();
  return std::make_shared<StreamLoader>(*session_, *cls_, select_, make_plan(*cls_, options_, nullptr, 0), batch);
}

std::vector<InstanceBase*> next_batch(StreamLoader& stream) { return stream.next_batch(); }

std::int64_t QueryCore::count() const {
  prepare_read();
  auto sub = select_.subquery("anon_1");
  auto stmt = select({func::count().label("count_1")}).select_from(sub);
  return session_->read(cls_, [&](Connection& c) { return c.execute(stmt); }).scalar<std::int64_t>();
}

bool QueryCore::exists() const {
  prepare_read();
  auto stmt = select({retort::exists(select_)});
  return session_->read(cls_, [&](Connection& c) { return c.execute(stmt); }).scalar<bool>();
}

}  // namespace retort::detail
