// Loading strategies at query time (SQLAlchemy's loader strategies).
//
// A query's options and the relationships' own `lazy=` settings become a
// Plan: per relationship, how to load it and what to load below it. Then:
//   joined    adds LEFT OUTER JOINs to the statement that loads the parents
//             (wrapping a LIMITed parent query in a subquery), and fills the
//             collections while reading the rows, parents de-duplicated;
//   selectin  one `... WHERE fk IN (500 keys)` per 500 parents;
//   subquery  one statement whose IN re-runs the parents' query as a subquery;
//   immediate one lazy load per parent, now;
//   lazy ones (select, raise, noload) are noted on the objects for later access.
// A collection already loaded is left as it is (as SQLAlchemy without populate_existing).
#include "orm/loading.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "orm/statements.hpp"

namespace retort::detail {

namespace {

constexpr std::size_t kInChunk = 500;  // SQLAlchemy's selectin chunk size

bool eager(Lazy l) {
  return l == Lazy::joined || l == Lazy::selectin || l == Lazy::subquery || l == Lazy::immediate;
}

std::vector<Value> values_of(const InstanceBase& i, const std::vector<std::size_t>& cols) {
  std::vector<Value> out;
  for (auto c : cols) out.push_back(i.cls->columns[c].access->get(i.object));
  return out;
}

bool any_null(const std::vector<Value>& key) {
  return std::any_of(key.begin(), key.end(), [](const Value& v) { return v.is_null(); });
}

/// `cols IN (keys)`: one column, or an OR of ANDs for a composite key.
Expr in_keys(const std::vector<Expr>& cols, const std::vector<std::vector<Value>>& keys) {
  if (cols.size() == 1) {
    std::vector<Value> values;
    for (auto& k : keys) values.push_back(k[0]);
    return cols[0].in_(std::move(values));
  }
  std::vector<Expr> alternatives;
  for (auto& k : keys) {
    std::vector<Expr> terms;
    for (std::size_t c = 0; c < cols.size(); ++c) terms.push_back(cols[c] == Expr(k[c]));
    alternatives.push_back(and_(std::move(terms)));
  }
  return or_(std::move(alternatives));
}

/// A relationship loaded by JOIN in the statement being read: where its columns start.
struct JoinedNode {
  const PlanItem* item;
  int offset;
  std::vector<JoinedNode> children;
};

class Loader {
 public:
  explicit Loader(SessionImpl& s) : s_(s) {}

  /// Adds the joins of `plan`'s joined items below `parent` (a table, alias or subquery).
  void add_joins(Select& stmt, const From& parent, const Plan& plan, int& next, std::vector<JoinedNode>& out,
                 const std::vector<const RelationshipInfo*>& user_joins) {
    for (auto& item : plan.items) {
      if (item.strategy != Lazy::joined && item.strategy != Lazy::contains_eager) continue;
      const RelationshipInfo& rel = *item.rel;
      rel.check_one_bind(item.strategy == Lazy::joined ? "joinedload" : "contains_eager");
      const ClassInfo& target = *rel.target;
      From from = *target.table;
      if (item.strategy == Lazy::contains_eager) {
        if (std::find(user_joins.begin(), user_joins.end(), &rel) == user_joins.end())
          throw ArgumentError("contains_eager(\"" + rel.name + "\") fills " + rel.qualified() +
                              " from the query's own join: add .join(\"" + rel.name + "\") to the query");
      } else {
        from = target.table->alias(alias_name(target.table_name));
        auto col = [](const From& f, const ClassInfo& cls, std::size_t c) { return f.c(cls.columns[c].spec().name); };
        std::vector<Expr> on;
        if (rel.direction == Direction::many_to_many) {
          From sec = rel.secondary->alias(alias_name(rel.secondary->name()));
          for (std::size_t k = 0; k < rel.owner_cols.size(); ++k)
            on.push_back(col(parent, *rel.owner, rel.owner_cols[k]) == sec.c(rel.secondary_owner[k]));
          stmt = stmt.outerjoin(sec, and_(std::move(on)));
          on.clear();
          for (std::size_t k = 0; k < rel.target_cols.size(); ++k)
            on.push_back(col(from, target, rel.target_cols[k]) == sec.c(rel.secondary_target[k]));
        } else {
          bool to_many = rel.direction == Direction::one_to_many;
          for (std::size_t k = 0; k < rel.child_cols.size(); ++k) {
            Expr mine = col(parent, *rel.owner, to_many ? rel.parent_cols[k] : rel.child_cols[k]);
            Expr theirs = col(from, target, to_many ? rel.child_cols[k] : rel.parent_cols[k]);
            on.push_back(mine == theirs);
          }
        }
        stmt = stmt.outerjoin(from, and_(std::move(on)));
        auto order = relationship_order(rel, from);
        if (!order.empty()) stmt = stmt.order_by(std::move(order));
      }
      std::vector<Expr> cols;
      for (auto& c : target.columns) cols.push_back(from.c(c.spec().name));
      stmt = stmt.add_columns(std::move(cols));
      JoinedNode node{&item, next, {}};
      next += static_cast<int>(target.columns.size());
      add_joins(stmt, from, item.children, next, node.children, {});
      out.push_back(std::move(node));
    }
  }

  /// Reads the joined relationships of one row into the states of `parent`.
  void read_joined(InstanceBase* parent, const std::vector<JoinedNode>& nodes, const Row& row) {
    for (auto& node : nodes) {
      const RelationshipInfo& rel = *node.item->rel;
      auto& st = state_of(parent, rel);
      auto* rows = collecting(st);
      const ClassInfo& target = *rel.target;
      bool present = std::any_of(target.primary_key.begin(), target.primary_key.end(),
                                 [&](std::size_t k) { return !row.is_null(node.offset + static_cast<int>(k)); });
      if (!present) continue;
      InstanceBase* child = s_.load_row(target, row, node.offset);
      child->origin = origin_;
      if (rows && std::find(rows->begin(), rows->end(), child) == rows->end()) rows->push_back(child);
      read_joined(child, node.children, row);
    }
  }

  /// The rows being gathered for a state, or null when it was loaded before this load began.
  std::vector<InstanceBase*>* collecting(RelState& st) {
    auto it = gathered_.find(&st);
    if (it != gathered_.end()) return &it->second;
    if (st.loaded_) return nullptr;
    order_.push_back(&st);
    return &gathered_[&st];
  }

  /// Fills every state gathered so far.
  void finish() {
    for (auto* st : std::exchange(order_, {})) {
      auto rows = std::move(gathered_[st]);
      if (st->info_->scalar() && rows.size() > 1) rows.erase(rows.begin() + 1, rows.end());
      s_.fill_state(*st, rows);
    }
    gathered_.clear();
  }

  /// The eager strategies of `plan` for `objects` (of one class); `source`
  /// is the statement that loaded them, for the subquery strategy.
  void apply(const std::vector<InstanceBase*>& objects, const Plan& plan, const Select* source) {
    for (auto& item : plan.items) {
      const RelationshipInfo& rel = *item.rel;
      switch (item.strategy) {
        case Lazy::joined:
        case Lazy::contains_eager:
          break;  // read with the parents' rows
        case Lazy::selectin:
          selectin(objects, item);
          break;
        case Lazy::subquery:
          if (source) subquery(objects, item, *source);
          else selectin(objects, item);
          break;
        case Lazy::immediate:
          for (auto* o : objects) {
            auto& st = state_of(o, rel);
            st.overridden_ = false;
            if (!st.loaded_) s_.load_state(st);
          }
          break;
        default:  // lazy ones: remembered on each object for its first access
          for (auto* o : objects) {
            auto& st = state_of(o, rel);
            if (st.loaded_) continue;
            st.override_ = item.strategy;
            st.overridden_ = item.explicit_;
            if (item.strategy == Lazy::noload) s_.fill_state(st, {});
          }
          continue;
      }
      if (item.children.items.empty()) continue;
      std::vector<InstanceBase*> children;
      std::unordered_set<InstanceBase*> seen;
      for (auto* o : objects) {
        auto& st = state_of(o, rel);
        if (!st.loaded_) continue;
        for (auto* c : st.items_)
          if (seen.insert(c).second) children.push_back(c);
      }
      apply(children, item.children, last_statement_ && item.strategy == Lazy::subquery ? &*last_statement_ : nullptr);
    }
  }

  /// Runs a query for objects of `cls` with the joined parts of `plan`, then the rest of it.
  std::vector<InstanceBase*> run(const ClassInfo& cls, const Select& select_, bool limited, const Plan& plan,
                                 const std::vector<const RelationshipInfo*>& user_joins) {
    bool joins = std::any_of(plan.items.begin(), plan.items.end(),
                             [](const PlanItem& i) { return i.strategy == Lazy::joined || i.strategy == Lazy::contains_eager; });
    Select stmt = select_;
    From parent = *cls.table;
    if (joins && limited && std::any_of(plan.items.begin(), plan.items.end(),
                                        [](const PlanItem& i) { return i.strategy == Lazy::joined; })) {
      // LIMIT applies to parents, not to joined rows: the parents' query becomes a subquery.
      From sub = select_.subquery("anon_1");
      stmt = select(sub);
      parent = sub;
    }
    std::vector<JoinedNode> nodes;
    int next = static_cast<int>(cls.columns.size());
    add_joins(stmt, parent, plan, next, nodes, user_joins);
    origin_ = ++s_.next_origin;
    auto result = s_.read(&cls, [&](Connection& c) { return c.execute(stmt); });
    std::vector<InstanceBase*> out;
    std::unordered_set<InstanceBase*> seen;
    while (result.next()) {
      InstanceBase* i = s_.load_row(cls, result.row());
      i->origin = origin_;
      if (!nodes.empty()) {
        read_joined(i, nodes, result.row());
        if (!seen.insert(i).second) continue;  // a parent once, however many joined rows it has
      }
      out.push_back(i);
    }
    finish();
    std::vector<InstanceBase*> unique;
    if (nodes.empty()) {
      std::unordered_set<InstanceBase*> once;
      for (auto* i : out)
        if (once.insert(i).second) unique.push_back(i);
    }
    apply(nodes.empty() ? unique : out, plan, &select_);
    return out;
  }

 private:
  std::string alias_name(const std::string& table) { return table + "_" + std::to_string(++aliases_[table]); }

  /// The key that groups rows into a state, as the state's owner has it.
  /// Relationship states by their owner's key: a single integer key without a
  /// key vector per row (the common case), any other key in an ordered map.
  struct StatesByKey {
    std::unordered_map<std::int64_t, std::vector<RelState*>> by_int;
    std::map<std::vector<Value>, std::vector<RelState*>> by_values;

    void add(std::vector<Value> key, RelState* st) {
      if (key.size() == 1 && key[0].kind() == Value::Kind::integer) by_int[key[0].as_int()].push_back(st);
      else by_values[std::move(key)].push_back(st);
    }
    /// The states whose owner's key is in `cols` of `row`, or null.
    const std::vector<RelState*>* find(const Row& row, const std::vector<int>& cols) const {
      if (cols.size() == 1) {
        Value v = row[cols[0]];
        if (v.kind() == Value::Kind::integer) {
          auto it = by_int.find(v.as_int());
          return it == by_int.end() ? nullptr : &it->second;
        }
      }
      std::vector<Value> key;
      for (int c : cols) key.push_back(row[c]);
      auto it = by_values.find(key);
      return it == by_values.end() ? nullptr : &it->second;
    }
  };

  static std::vector<Value> owner_key(const RelationshipInfo& rel, const InstanceBase& owner) {
    switch (rel.direction) {
      case Direction::one_to_many: return values_of(owner, rel.parent_cols);
      case Direction::many_to_one: return parent_key_of(rel, owner);
      case Direction::many_to_many: return values_of(owner, rel.owner_cols);
    }
    return {};
  }

  /// Loads `rel` for the `waiting` states with one statement restricted by `where`.
  void load_into(const PlanItem& item, const std::vector<RelState*>& waiting, const Expr& where) {
    const RelationshipInfo& rel = *item.rel;
    const ClassInfo& target = *rel.target;
    Select stmt;
    int lead = 0;
    if (rel.direction == Direction::many_to_many) {
      const Table& sec = *rel.secondary;
      std::vector<Expr> cols;
      for (auto& c : rel.secondary_owner) cols.push_back(sec.c(c));
      lead = static_cast<int>(cols.size());
      for (auto& c : target.columns) cols.push_back(target.table->c(c.spec().name));
      std::vector<Expr> on;
      for (std::size_t k = 0; k < rel.target_cols.size(); ++k)
        on.push_back(target.table->c(target.columns[rel.target_cols[k]].spec().name) == sec.c(rel.secondary_target[k]));
      stmt = select(std::move(cols)).select_from(*target.table).join(sec, and_(std::move(on)));
    } else {
      stmt = select(*target.table);
    }
    stmt = stmt.where(where).order_by(relationship_order(rel, *target.table));
    std::vector<JoinedNode> nodes;
    int next = lead + static_cast<int>(target.columns.size());
    add_joins(stmt, *target.table, item.children, next, nodes, {});
    last_statement_ = stmt;

    StatesByKey by_key;
    for (auto* st : waiting) {
      by_key.add(owner_key(rel, *st->owner_), st);
      collecting(*st);
    }
    // The columns of each row that say which owner it belongs to.
    std::vector<int> key_cols;
    if (lead > 0) {
      for (int k = 0; k < lead; ++k) key_cols.push_back(k);
    } else {
      for (auto c : rel.direction == Direction::one_to_many ? rel.child_cols : rel.parent_cols)
        key_cols.push_back(static_cast<int>(c));
    }
    auto result = s_.read(&target, [&](Connection& c) { return c.execute(stmt); });
    std::uint32_t origin = ++s_.next_origin;
    while (result.next()) {
      const Row& row = result.row();
      InstanceBase* child = s_.load_row(target, row, lead);
      child->origin = origin;
      read_joined(child, nodes, row);
      const auto* owners = by_key.find(row, key_cols);
      if (!owners) continue;
      for (auto* st : *owners) {
        auto& rows = gathered_[st];
        if (std::find(rows.begin(), rows.end(), child) == rows.end()) rows.push_back(child);
      }
    }
    finish();
  }

  /// The states of `objects` for `item` that are not loaded yet; many-to-one
  /// ones whose parent is in the identity map (or NULL) are filled here, without SQL.
  std::vector<RelState*> waiting(const std::vector<InstanceBase*>& objects, const PlanItem& item) {
    const RelationshipInfo& rel = *item.rel;
    std::vector<RelState*> out;
    for (auto* o : objects) {
      auto& st = state_of(o, rel);
      if (st.loaded_) continue;
      st.overridden_ = false;
      auto key = owner_key(rel, *o);
      if (key.empty() || any_null(key)) {
        s_.fill_state(st, {});
        continue;
      }
      if (rel.direction == Direction::many_to_one) {
        if (InstanceBase* parent = s_.find(*rel.target, key)) {
          s_.fill_state(st, {parent});
          continue;
        }
      }
      out.push_back(&st);
    }
    return out;
  }

  std::vector<Expr> key_columns(const RelationshipInfo& rel) {
    const ClassInfo& target = *rel.target;
    std::vector<Expr> cols;
    if (rel.direction == Direction::many_to_many) {
      for (auto& c : rel.secondary_owner) cols.push_back(rel.secondary->c(c));
    } else {
      const auto& remote = rel.direction == Direction::one_to_many ? rel.child_cols : rel.parent_cols;
      for (auto c : remote) cols.push_back(target.table->c(target.columns[c].spec().name));
    }
    return cols;
  }

  void selectin(const std::vector<InstanceBase*>& objects, const PlanItem& item) {
    auto states = waiting(objects, item);
    if (states.empty()) return;
    // Distinct keys, in the parents' order, 500 per statement; with each key,
    // its states. A single integer key is found by hash, any other in an ordered map.
    std::vector<std::vector<Value>> keys;
    std::vector<std::vector<RelState*>> states_of_key;
    std::unordered_map<std::int64_t, std::size_t> int_keys;
    std::map<std::vector<Value>, std::size_t> other_keys;
    for (auto* st : states) {
      auto key = owner_key(*item.rel, *st->owner_);
      std::size_t at;
      bool fresh;
      if (key.size() == 1 && key[0].kind() == Value::Kind::integer) {
        auto [it, added] = int_keys.try_emplace(key[0].as_int(), keys.size());
        at = it->second;
        fresh = added;
      } else {
        auto [it, added] = other_keys.try_emplace(key, keys.size());
        at = it->second;
        fresh = added;
      }
      if (fresh) {
        keys.push_back(std::move(key));
        states_of_key.emplace_back();
      }
      states_of_key[at].push_back(st);
    }
    auto cols = key_columns(*item.rel);
    for (std::size_t start = 0; start < keys.size(); start += kInChunk) {
      std::size_t end = std::min(keys.size(), start + kInChunk);
      std::vector<std::vector<Value>> chunk(keys.begin() + static_cast<std::ptrdiff_t>(start),
                                            keys.begin() + static_cast<std::ptrdiff_t>(end));
      std::vector<RelState*> chunk_states;
      for (std::size_t k = start; k < end; ++k)
        for (auto* st : states_of_key[k]) chunk_states.push_back(st);
      load_into(item, chunk_states, in_keys(cols, chunk));
    }
  }

  void subquery(const std::vector<InstanceBase*>& objects, const PlanItem& item, const Select& source) {
    auto states = waiting(objects, item);
    if (states.empty()) return;
    const RelationshipInfo& rel = *item.rel;
    auto cols = key_columns(rel);
    if (cols.size() != 1) {
      selectin(objects, item);
      return;
    }
    // The parents' own query, as a subquery giving their keys.
    const auto& own = rel.direction == Direction::many_to_many ? rel.owner_cols
                      : rel.direction == Direction::one_to_many ? rel.parent_cols
                                                                : rel.child_cols;
    From sub = source.subquery("anon_1");
    Select keys = select({sub.c(rel.owner->columns[own[0]].spec().name)});
    load_into(item, states, cols[0].in_(keys));
  }

  SessionImpl& s_;
  std::uint32_t origin_ = 0;
  std::map<std::string, int> aliases_;
  std::unordered_map<RelState*, std::vector<InstanceBase*>> gathered_;
  std::vector<RelState*> order_;
  std::optional<Select> last_statement_;
};

}  // namespace

Plan make_plan(const ClassInfo& cls, const std::vector<LoadPath>& paths, const RelationshipInfo* from, int depth) {
  Plan plan;
  auto item_for = [&](const RelationshipInfo* rel) -> PlanItem& {
    for (auto& i : plan.items)
      if (i.rel == rel) return i;
    plan.items.push_back(PlanItem{rel, rel->lazy, false, {}});
    return plan.items.back();
  };
  std::vector<std::pair<const RelationshipInfo*, std::vector<LoadPath>>> below;
  for (auto& path : paths) {
    if (path.empty()) continue;
    const RelationshipInfo& rel = relationship_named(cls, path.front().first);
    Lazy strategy = path.front().second;
    if (rel.lazy == Lazy::dynamic && strategy != Lazy::select)
      throw InvalidRequestError("'" + rel.qualified() + "' is dynamic and does not support object population - eager "
                                "loading cannot be applied; query it instead");
    auto& item = item_for(&rel);
    item.strategy = strategy;
    item.explicit_ = true;
    auto it = std::find_if(below.begin(), below.end(), [&](auto& b) { return b.first == &rel; });
    if (it == below.end()) {
      below.emplace_back(&rel, std::vector<LoadPath>{});
      it = below.end() - 1;
    }
    if (path.size() > 1) it->second.emplace_back(path.begin() + 1, path.end());
  }
  // The relationships' own eager settings, a few levels deep, never straight back.
  if (depth < 3)
    for (auto& rel : cls.relationships)
      if (eager(rel->lazy) && (!from || rel.get() != from->partner)) item_for(rel.get());
  for (auto& item : plan.items) {
    std::vector<LoadPath> sub;
    for (auto& b : below)
      if (b.first == item.rel) sub = b.second;
    if (eager(item.strategy) || item.strategy == Lazy::contains_eager)
      item.children = make_plan(*item.rel->target, sub, item.rel, depth + 1);
    else if (!sub.empty())
      item.children = make_plan(*item.rel->target, sub, item.rel, depth + 1);
  }
  // Lazy items without options below need no work at query time.
  std::erase_if(plan.items, [](const PlanItem& i) { return !i.explicit_ && !eager(i.strategy); });
  return plan;
}

std::vector<InstanceBase*> run_query(SessionImpl& s, const ClassInfo& cls, const Select& stmt, bool limited,
                                     const Plan& plan, const std::vector<const RelationshipInfo*>& joins) {
  return Loader(s).run(cls, stmt, limited, plan, joins);
}

void load_below(SessionImpl& s, const std::vector<InstanceBase*>& objects, const Plan& plan) {
  if (!plan.items.empty()) Loader(s).apply(objects, plan, nullptr);
}

StreamLoader::StreamLoader(SessionImpl& s, const ClassInfo& cls, const Select& stmt, Plan plan, std::size_t batch)
    : s_(&s), cls_(cls), plan_(std::move(plan)), batch_(batch), origin_(++s.next_origin) {
  if (batch == 0) throw ArgumentError("yield_per(0): the batch size must be at least 1");
  for (auto& item : plan_.items)
    if (item.strategy == Lazy::joined || item.strategy == Lazy::contains_eager)
      throw ArgumentError("yield_per() cannot load " + item.rel->qualified() +
                          " joined: a batch ends between rows of one parent. Use selectinload, which loads "
                          "each batch's related objects with one more statement");
  s.autoflush();
  result_ = s.read(&cls, [&](Connection& c) { return c.execute(stmt); });
  s.streams.push_back(this);
}

StreamLoader::~StreamLoader() {
  if (s_) std::erase(s_->streams, this);
}

void StreamLoader::end(const char* by) noexcept {
  result_.close();
  ended_by_ = by;
  s_ = nullptr;
}

std::vector<InstanceBase*> StreamLoader::next_batch() {
  if (ended_by_)
    throw InvalidRequestError(std::string("yield_per(): the session's ") + ended_by_ +
                              " ended this stream; run the query again to read on");
  std::vector<InstanceBase*> out;
  out.reserve(batch_);
  while (out.size() < batch_ && result_.next()) {
    InstanceBase* i = s_->load_row(cls_, result_.row());
    i->origin = origin_;  // one query for the N+1 detector, however many batches
    out.push_back(i);
  }
  if (!plan_.items.empty() && !out.empty()) {
    std::vector<InstanceBase*> unique;
    std::unordered_set<InstanceBase*> once;
    for (auto* i : out)
      if (once.insert(i).second) unique.push_back(i);
    Loader(*s_).apply(unique, plan_, nullptr);
  }
  return out;
}

void SessionImpl::close_streams(const char* by) noexcept {
  for (auto* stream : std::exchange(streams, {})) stream->end(by);
}

}  // namespace retort::detail
