// The unit of work and the identity map.
//
// Flush, in order:
//   (1) find the modified objects: the ones accessed since the last flush
//       (autoflush), or every loaded one (flush() and commit());
//   (2) order the models so that a table comes after the tables it refers to;
//   (3) per model, parents first: UPDATE modified objects (only their changed
//       columns, ordered by key), then INSERT pending ones (in add order, one
//       prepared statement per model and column set; generated keys are read
//       back into the objects);
//   (4) DELETE deleted objects, children first.
// Invariants: (I1) a parent row is inserted before its children and deleted
// after them; (I2) a failed flush leaves no row behind: the transaction is
// rolled back before the error reaches the caller; (I3) one object per primary
// key per session.
#include "retort/orm/session.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <unordered_set>

#include "orm/loading.hpp"
#include "orm/relationships.hpp"
#include "orm/session_impl.hpp"
#include "orm/statements.hpp"
#include "retort/core/config.hpp"
#include "retort/core/dialect.hpp"

namespace retort {

namespace detail {

namespace {

bool is_int_key(const std::vector<Value>& key) {
  return key.size() == 1 && key[0].kind() == Value::Kind::integer;
}

/// Models ordered so that each comes after those its table refers to (I1).
std::vector<const ClassInfo*> dependency_order(std::vector<const ClassInfo*> classes) {
  std::vector<const ClassInfo*> out;
  std::vector<int> state(classes.size(), 0);
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i]) return;
    state[i] = 1;
    for (auto& fk : classes[i]->table->foreign_keys())
      for (std::size_t j = 0; j < classes.size(); ++j)
        if (j != i && classes[j]->table_name == fk.referred_table) visit(j);
    state[i] = 2;
    out.push_back(classes[i]);
  };
  for (std::size_t i = 0; i < classes.size(); ++i) visit(i);
  return out;
}

}  // namespace

std::string describe(const InstanceBase& i) {
  std::string key;
  for (auto k : i.cls->primary_key) {
    if (!key.empty()) key += ", ";
    key += i.cls->columns[k].access->get(i.object).repr();
  }
  return "<" + i.cls->type_name + " " + key + ">";
}

// ---- references and lifetime --------------------------------------------------------

void SessionImpl::hold(std::vector<InstanceBase*>& list, InstanceBase* i) {
  ++i->refs;
  list.push_back(i);
}

namespace {

/// Moves the entries of `list` (which holds a reference on each) to the end of
/// `held`, emptying `list`; the first non-empty list lends `held` its storage.
void take_entries(std::vector<InstanceBase*>& held, std::vector<InstanceBase*>& list) {
  if (held.empty()) {
    held = std::exchange(list, {});
    return;
  }
  held.insert(held.end(), list.begin(), list.end());
  list = {};
}

}  // namespace

void SessionImpl::drop_all(std::vector<InstanceBase*> list) {
  // An object may be listed more than once, and freeing one object may drop
  // Ptrs it holds to another: first give up the listed references, keeping
  // one on each object that reaches zero (it has no entry left in the list),
  // then release those last ones, so nothing is freed while the list still holds it.
  // The last ones are gathered at the front of the list itself (no second vector).
  std::size_t last = 0;
  for (auto* i : list)
    if (--i->refs == 0) {
      i->refs = 1;
      list[last++] = i;
    }
  list.resize(last);
  for (auto* i : list)
    if (--i->refs == 0) release(i);
}

void SessionImpl::forget_rekeyed() {
  std::vector<InstanceBase*> held;
  for (auto& entry : std::exchange(rekeyed, {})) held.push_back(entry.first);
  drop_all(std::move(held));
}

void SessionImpl::on_release(InstanceBase* i) {
  if (i->state == ObjectState::persistent && !(i->flags & flag_expired) && modified(i)) {
    hold(kept, i);  // modified: keep it until the next flush writes it
    return;
  }
  erase_identity(i);
  reset_states(i);  // what it referred to may go too
  delete i;
}

void release(InstanceBase* i) noexcept {
  if (i->session) {
    i->session->on_release(i);
  } else {
    delete i;
  }
}

void null_access() { throw InvalidRequestError("access through a null Ptr (no object: a failed get() or first()?)"); }

void on_access(InstanceBase* i) {
  SessionImpl* s = i->session;
  if (i->flags & flag_expired) {
    if (!s)
      throw InvalidRequestError("Instance " + i->cls->type_name +
                                " is detached and its attributes are expired (the session was committed, then closed); "
                                "read it before closing the session, or load it again in a new session");
    s->check_usable();
    if (!s->refresh(i))
      throw InvalidRequestError("Instance " + describe(*i) + " has been deleted, or its row is otherwise not present");
  }
  if (s && !(i->flags & flag_touched) && i->state == ObjectState::persistent) {
    i->flags |= flag_touched;
    s->hold(s->touched, i);
  }
}

// ---- identity map -------------------------------------------------------------------

std::vector<Value> SessionImpl::key_of(const InstanceBase& i) const {
  std::vector<Value> key;
  key.reserve(i.cls->primary_key.size());
  for (auto k : i.cls->primary_key) key.push_back(i.cls->columns[k].access->get(i.object));
  return key;
}

InstanceBase* SessionImpl::find(const ClassInfo& cls, const std::vector<Value>& key) const {
  auto it = identity.find(&cls);
  if (it == identity.end()) return nullptr;
  if (is_int_key(key)) return it->second.by_int.find(key[0].as_int());
  auto f = it->second.by_values.find(key);
  return f == it->second.by_values.end() ? nullptr : f->second;
}

std::vector<Value> SessionImpl::identity_key(const InstanceBase& i) const {
  // The key an object is filed under is the one it had when loaded or flushed;
  // its members may hold a changed key that is not written yet.
  if (!i.has_snapshot) return key_of(i);
  std::vector<Value> key;
  for (auto k : i.cls->primary_key) key.push_back(i.committed[k]);
  return key;
}

namespace {

/// The single integer key an object is filed under (as identity_key() reads
/// it), without building a key vector; nullopt for any other key.
std::optional<std::int64_t> int_identity_key(const InstanceBase& i) {
  const ClassInfo& cls = *i.cls;
  if (cls.primary_key.size() != 1) return std::nullopt;
  if (i.has_snapshot) {
    auto* v = std::get_if<std::int64_t>(&i.committed[cls.primary_key[0]].storage());
    return v ? std::optional<std::int64_t>(*v) : std::nullopt;
  }
  Value v = cls.columns[cls.primary_key[0]].access->get(i.object);
  return v.kind() == Value::Kind::integer ? std::optional<std::int64_t>(v.as_int()) : std::nullopt;
}

}  // namespace

void SessionImpl::insert_identity(InstanceBase* i) {
  bool fresh;
  if (auto int_key = int_identity_key(*i)) {
    fresh = identity_of(*i->cls).by_int.insert(*int_key, i);
  } else {
    auto key = identity_key(*i);
    fresh = identity_of(*i->cls).by_values.emplace(std::move(key), i).second;
  }
  if (!fresh)
    throw InvalidRequestError("another object with the identity " + describe(*i) +
                              " is already in this session; use merge() to copy values onto it");
  ++identity_size;
}

void SessionImpl::erase_identity(InstanceBase* i) {
  // Only if the entry is this object: another may have taken the key since.
  if (auto int_key = int_identity_key(*i)) {
    auto it = identity.find(i->cls);
    if (it == identity.end()) return;
    if (it->second.by_int.erase(*int_key, i)) --identity_size;
    return;
  }
  auto key = identity_key(*i);
  if (find(*i->cls, key) == i) erase_key(*i->cls, key);
}

void SessionImpl::erase_key(const ClassInfo& cls, const std::vector<Value>& key) {
  auto it = identity.find(&cls);
  if (it == identity.end()) return;
  std::size_t n = is_int_key(key) ? it->second.by_int.erase(key[0].as_int()) : it->second.by_values.erase(key);
  identity_size -= n;
}

// ---- loading ----------------------------------------------------------------------------

void SessionImpl::snapshot(InstanceBase* i) {
  auto& cols = i->cls->columns;
  for (std::size_t c = 0; c < cols.size(); ++c) i->committed[c] = cols[c].access->get(i->object);
  i->has_snapshot = true;
}

std::vector<std::size_t> SessionImpl::changed_columns(const InstanceBase* i) const {
  std::vector<std::size_t> changed;
  auto& cols = i->cls->columns;
  if (!i->has_snapshot) return changed;
  for (std::size_t c = 0; c < cols.size(); ++c)
    if (!cols[c].access->equals(i->object, i->committed[c])) changed.push_back(c);
  return changed;
}

bool SessionImpl::modified(const InstanceBase* i) const {
  auto& cols = i->cls->columns;
  if (!i->has_snapshot) return false;
  for (std::size_t c = 0; c < cols.size(); ++c)
    if (!cols[c].access->equals(i->object, i->committed[c])) return true;
  return false;
}

InstanceBase* SessionImpl::load_row(const ClassInfo& cls, const Row& row, int first) {
  auto& map = identity_of(cls);
  // The common key, one integer column, is looked up without building a key vector.
  std::vector<Value> key;
  std::int64_t int_key = 0;
  bool by_int = cls.primary_key.size() == 1;
  if (by_int) {
    int col = first + static_cast<int>(cls.primary_key[0]);
    Value v = row[col];
    by_int = v.kind() == Value::Kind::integer;
    if (by_int) int_key = v.as_int();
    else key.push_back(std::move(v));
  } else {
    key.reserve(cls.primary_key.size());
    for (auto k : cls.primary_key) key.push_back(row[first + static_cast<int>(k)]);
  }
  InstanceBase* existing = nullptr;
  if (by_int) {
    existing = map.by_int.find(int_key);
  } else {
    auto f = map.by_values.find(key);
    if (f != map.by_values.end()) existing = f->second;
  }
  if (existing) {
    // A loaded object keeps its in-memory state (as SQLAlchemy without populate_existing),
    // unless it was expired: then the row is its new state.
    if (existing->flags & flag_expired) {
      for (std::size_t c = 0; c < cls.columns.size(); ++c)
        cls.columns[c].access->load(existing->object, row, first + static_cast<int>(c));
      existing->flags &= ~flag_expired;
      snapshot(existing);
    }
    return existing;
  }
  InstanceBase* i = cls.create();
  for (std::size_t c = 0; c < cls.columns.size(); ++c) cls.columns[c].access->load(i->object, row, first + static_cast<int>(c));
  i->session = this;
  i->state = ObjectState::persistent;
  snapshot(i);
  if (by_int) map.by_int.insert(int_key, i);
  else map.by_values.emplace(std::move(key), i);
  ++identity_size;
  return i;
}

bool SessionImpl::refresh(InstanceBase* i) {
  auto& cls = *i->cls;
  auto key = i->has_snapshot ? std::vector<Value>{} : key_of(*i);
  if (key.empty())
    for (auto k : cls.primary_key) key.push_back(i->committed[k]);
  auto result = read(&cls, [&](Connection& c) { return c.exec_driver_sql(select_by_key_sql(cls, c.dialect()), key); });
  if (!result.next()) return false;
  for (std::size_t c = 0; c < cls.columns.size(); ++c) cls.columns[c].access->load(i->object, result.row(), static_cast<int>(c));
  i->flags &= ~flag_expired;
  snapshot(i);
  return true;
}

// ---- transaction ------------------------------------------------------------------------

void SessionImpl::check_usable() const {
  if (failed)
    throw InvalidRequestError("This Session's transaction has been rolled back due to a previous exception during "
                              "flush. To begin a new transaction with this Session, first call rollback()");
}

SessionImpl::SessionImpl(Engine e, SessionOptions o) : options(std::move(o)) {
  binds.emplace_back("", std::move(e));
  for (auto& [key, engine] : options.binds) binds.emplace_back(key, std::move(engine));
  options.binds.clear();  // the engines live in `binds`
}

BindState& SessionImpl::bind_of(const ClassInfo* cls) {
  if (!cls || cls->bind_key.empty()) return binds.front();
  return bind_named(cls->bind_key, cls);
}

BindState& SessionImpl::bind_named(std::string_view key, const ClassInfo* for_model) {
  for (auto& b : binds)
    if (b.key == key) return b;
  std::string who = for_model ? "model " + for_model->type_name + " has bind key '" + std::string(key) + "', and "
                              : "bind key '" + std::string(key) + "': ";
  throw ArgumentError(who + "this session has no engine for it: pass SessionOptions{.binds = {{\"" + std::string(key) +
                      "\", engine}}}, or configure " + Config::bind_url_setting(key) + " (SQLALCHEMY_BINDS) for Database");
}

void SessionImpl::drop_replica(BindState& b) noexcept {
  b.replica_tx.reset();  // its rollback fails quietly on a lost connection
  b.replica.reset();
  b.primary_reads = true;
}

Connection& SessionImpl::connection(bool write, BindState& b) {
  check_usable();
  if (!write && !b.wrote && !b.primary_reads && b.engine.has_replicas()) {
    if (b.replica && b.replica->invalidated()) drop_replica(b);
    if (!b.replica && !b.primary_reads) {
      // Read-your-writes: after this session's commit, only a replica that has replayed it will do.
      bool recent = !b.written_lsn.empty() && std::chrono::steady_clock::now() - b.written_at <
                                                  std::chrono::duration<double>(b.engine.options().read_your_writes_s);
      if (auto replica = b.engine.connect_replica(recent ? b.written_lsn : "")) {
        b.replica.emplace(std::move(*replica));
        b.replica_tx.emplace(b.replica->begin());
      } else {
        b.primary_reads = true;
      }
    }
    if (b.replica) return *b.replica;
  }
  if (b.conn && b.conn->invalidated()) {
    // The server went away. A transaction that only read is simply gone: go
    // on with a fresh connection. One that wrote lost its writes: say so.
    if (b.wrote) {
      failed = true;
      throw InvalidRequestError("the database connection was lost in a transaction that had written: its writes are "
                                "gone. Call rollback(), then run the unit of work again");
    }
    close_streams("lost connection");
    b.tx.reset();
    b.conn.reset();
  }
  if (!b.conn) b.conn.emplace(b.engine.connect());
  // SQLite: BEGIN at the first write, as pysqlite does, so reads before it hold no lock;
  // with transaction_mode "immediate" (or "exclusive"), at the first statement, so
  // that what the session reads cannot change before it commits.
  bool defer = b.conn->dialect().name() == "sqlite" && b.engine.options().transaction_mode == "deferred";
  if (!b.tx && (write || !defer)) b.tx.emplace(b.conn->begin());
  return *b.conn;
}

void SessionImpl::end_transactions(bool commit) {
  for (auto& b : binds) {
    b.replica_tx.reset();  // a replica's transaction only read: rolled back
    b.replica.reset();
    b.primary_reads = false;
  }
  // One transaction per bind, committed in turn: a failure after the first
  // commit leaves the earlier binds committed (see docs/scaling.md).
  for (auto& b : binds) {
    if (!commit || !b.tx) continue;
    try {
      b.tx->commit();
    } catch (...) {
      b.tx.reset();
      throw;
    }
    b.tx.reset();
    if (b.wrote && b.engine.has_replicas()) {
      // The WAL insert position covers the commit record just written: a replica that has
      // replayed it sees this commit.
      try {
        b.written_lsn = b.conn->exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar<std::string>();
      } catch (const Error&) {
        b.written_lsn.clear();  // unknown: reads go to the primary for the read_your_writes_s window
      }
      b.written_at = std::chrono::steady_clock::now();
    }
  }
  // Rolling back reaches every bind even when one fails; the first failure is raised after.
  std::exception_ptr rollback_error = commit ? nullptr : roll_back_all();
  for (auto& b : binds) {
    b.conn.reset();
    b.wrote = false;
  }
  if (rollback_error) std::rethrow_exception(rollback_error);
}

std::exception_ptr SessionImpl::roll_back_all() noexcept {
  std::exception_ptr first;
  for (auto& b : binds) {
    if (!b.tx) continue;
    try {
      b.tx->rollback();
    } catch (...) {
      if (!first) first = std::current_exception();  // the connection is dropped with the transaction
    }
    b.tx.reset();
  }
  return first;
}

void SessionImpl::autoflush() {
  check_usable();
  if (options.autoflush) flush(false);
}

namespace {

/// A foreign key to copy at flush: the child's columns get the parent's key (or NULL).
struct ForeignKeyCopy {
  InstanceBase* child;
  const RelationshipInfo* rel;
  InstanceBase* parent;
  bool done = false;
};

/// An association row to insert or delete; `rel` is the side that drives the flush.
struct AssociationRow {
  const RelationshipInfo* rel;
  InstanceBase* owner;
  InstanceBase* target;
  bool operator==(const AssociationRow&) const = default;
};

bool key_ready(const InstanceBase* i) { return i->state == ObjectState::persistent || i->state == ObjectState::deleted; }

void copy_foreign_key(const ForeignKeyCopy& f) {
  auto& rel = *f.rel;
  for (std::size_t k = 0; k < rel.child_cols.size(); ++k) {
    auto& column = f.child->cls->columns[rel.child_cols[k]];
    if (!f.parent && !column.spec().is_nullable()) {
      // A plain member cannot hold NULL: say what SQLAlchemy's NOT NULL failure means, and the fix.
      std::string name = f.child->cls->table_name + "." + column.spec().name;
      throw IntegrityError("NOT NULL constraint failed: " + name + ": " + describe(*f.child) + " would lose its " +
                               rel.parent().type_name + " (" + rel.qualified() +
                               "); delete it with its parent (cascade(\"all, delete-orphan\")), or let the database "
                               "do it (passive_deletes() with ON DELETE CASCADE)",
                           ErrorDetails{.sqlstate = "23502", .constraint = name, .code = "integrity"});
    }
    Value v = f.parent ? f.parent->cls->columns[rel.parent_cols[k]].access->get(f.parent->object) : Value();
    column.access->set(f.child->object, v);
  }
}

}  // namespace

/// What the relationships ask of this flush: objects to delete by cascade or
/// as orphans, foreign keys to copy, association rows to write.
struct FlushPlan {
  std::vector<ForeignKeyCopy> keys;
  std::vector<AssociationRow> insert_rows, delete_rows;
  /// Each child's first entry in `keys`, in an open-addressing table, and
  /// `next_key` chaining its others: an object finds its own links without a
  /// scan of all, and the index costs two arrays, not a hash node per child.
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::pair<const InstanceBase*, std::size_t>> first_key;
  std::vector<std::size_t> next_key;

  std::size_t slot_of(const InstanceBase* child) const {
    std::size_t mask = first_key.size() - 1;
    // Objects are 16-byte aligned heap blocks: mix the address before masking.
    std::size_t at = static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(child) >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
    while (first_key[at].first && first_key[at].first != child) at = (at + 1) & mask;
    return at;
  }
  void index_keys() {
    first_key.assign(std::bit_ceil(2 * keys.size() + 1), {nullptr, none});
    next_key.assign(keys.size(), none);
    for (std::size_t k = keys.size(); k-- > 0;) {  // backwards: each chain ends up in planned order
      auto& slot = first_key[slot_of(keys[k].child)];
      slot.first = keys[k].child;
      next_key[k] = slot.second;
      slot.second = k;
    }
  }
  /// Calls `f` with each ForeignKeyCopy whose child is `child`, in the order they were planned.
  template <class F>
  void for_keys_of(const InstanceBase* child, F&& f) {
    if (first_key.empty()) return;
    for (std::size_t k = first_key[slot_of(child)].second; k != none; k = next_key[k]) f(keys[k]);
  }
};

static void plan_relationships(SessionImpl& s, FlushPlan& plan) {
  std::unordered_set<InstanceBase*> doomed(s.deleted.begin(), s.deleted.end());
  auto doom = [&](InstanceBase* x) {
    if (!doomed.insert(x).second) return;
    if (x->state == ObjectState::pending) {  // never written: just leaves the session
      auto it = std::find(s.pending.begin(), s.pending.end(), x);
      if (it != s.pending.end()) {
        s.reset_states(x);
        s.pending.erase(it);
        x->state = ObjectState::transient;
        x->session = nullptr;
        s.drop_all({x});
      }
      return;
    }
    s.hold(s.deleted, x);
  };
  auto delete_row = [&](AssociationRow row) {
    if (std::find(plan.delete_rows.begin(), plan.delete_rows.end(), row) == plan.delete_rows.end())
      plan.delete_rows.push_back(row);
  };
  auto oriented = [](const RelationshipInfo& rel, InstanceBase* owner, InstanceBase* target) {
    return rel.drives_flush ? AssociationRow{&rel, owner, target} : AssociationRow{rel.partner, target, owner};
  };
  // (b) changes since the last flush
  for (auto* o : std::vector<InstanceBase*>(s.rel_dirty)) {
    if (doomed.count(o)) continue;
    for_each_state(o, [&](RelState& st) {
      if (!st.changed_) return;
      const auto& rel = *st.info_;
      switch (rel.direction) {
        case Direction::many_to_one:
          plan.keys.push_back({o, &rel, st.items_.empty() ? nullptr : st.items_.front()});
          break;
        case Direction::one_to_many:
          if (rel.drives_flush)
            for (auto* x : st.added_) plan.keys.push_back({x, &rel, o});
          for (auto* x : st.removed_) {
            bool orphan = rel.partner ? state_of(x, *rel.partner).loaded_ && state_of(x, *rel.partner).items_.empty()
                                      : true;
            if (rel.cascade.delete_orphan && orphan) doom(x);
            else if (rel.drives_flush) plan.keys.push_back({x, &rel, nullptr});
          }
          break;
        case Direction::many_to_many:
          if (!rel.drives_flush) break;
          for (auto* x : st.added_) plan.insert_rows.push_back({&rel, o, x});
          for (auto* x : st.removed_) delete_row({&rel, o, x});
          break;
      }
    });
  }
  // (a) what deleting an object does to its relationships (the list grows by cascade)
  for (std::size_t k = 0; k < s.deleted.size(); ++k) {
    InstanceBase* d = s.deleted[k];
    if (!d->cls->related) continue;
    for (auto& relp : d->cls->relationships) {
      const auto& rel = *relp;
      if (rel.direction == Direction::many_to_one) continue;
      auto& st = state_of(d, rel);
      if (rel.passive_deletes && !st.loaded_) continue;  // the database's ON DELETE does it
      std::vector<InstanceBase*> related;
      if (rel.kind == MemberKind::dynamic) {
        related = QueryCore(&s, *rel.target).with_parent(rel, d).fetch();
      } else {
        related = st.items();
      }
      for (auto* x : related) {
        if (rel.direction == Direction::many_to_many) {
          delete_row(oriented(rel, d, x));
        } else if (!doomed.count(x)) {
          if (rel.cascade.delete_) doom(x);
          else if (!rel.passive_deletes) plan.keys.push_back({x, &rel, nullptr});
        }
      }
    }
  }
  std::erase_if(plan.keys, [&](const ForeignKeyCopy& f) { return doomed.count(f.child) > 0; });
  std::erase_if(plan.insert_rows, [&](const AssociationRow& r) { return doomed.count(r.owner) || doomed.count(r.target); });
  plan.index_keys();
}

void SessionImpl::fail_flush() {
  // (I2): nothing of a failed flush stays in the database (of any bind).
  (void)roll_back_all();
  failed = true;
}

void SessionImpl::flush(bool full) {
  check_usable();
  if (flushing) return;
  // An autoflush with nothing added, deleted, accessed or kept has nothing to
  // write (the common case of a read after a read): no plan, no scan.
  if (!full && pending.empty() && deleted.empty() && rel_dirty.empty() && touched.empty() && kept.empty()) return;
  flushing = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{flushing};

  FlushPlan plan;
  if (!rel_dirty.empty() || !deleted.empty()) {
    try {
      plan_relationships(*this, plan);
    } catch (...) {
      fail_flush();
      throw;
    }
  }

  // (1) modified objects
  std::vector<InstanceBase*> dirty;
  auto consider = [&](InstanceBase* i) {
    if (i->state != ObjectState::persistent || (i->flags & flag_expired)) return;
    if (modified(i)) dirty.push_back(i);
  };
  if (full) {
    // The identity map lists each object once (I3).
    for (auto& [cls, map] : identity) {
      for (auto& [k, i] : map.by_int) consider(i);
      for (auto& [k, i] : map.by_values) consider(i);
    }
  } else {
    for (auto* i : touched) consider(i);  // listed once each: flag_touched guards the list
    // Listed once each too (an entry holds a reference, so refs cannot reach 0 again);
    // one touched since it was kept was considered above.
    for (auto* i : kept)
      if (!(i->flags & flag_touched)) consider(i);
  }
  auto release_touched = [&] {
    for (auto* i : touched) i->flags &= ~flag_touched;
    drop_all(std::exchange(touched, {}));
  };
  auto forget_changes = [&] {
    for (auto* o : rel_dirty)
      for_each_state(o, [&](RelState& st) {
        if (!st.changed_) return;
        st.changed_ = false;
        std::vector<InstanceBase*> linked;
        for (auto* v : {&st.added_, &st.removed_})
          for (auto* x : std::exchange(*v, {})) linked.push_back(x);
        for (auto* x : linked) unlink(x);
      });
    drop_rel_dirty();
  };
  if (pending.empty() && deleted.empty() && dirty.empty() && plan.keys.empty() && plan.insert_rows.empty() &&
      plan.delete_rows.empty()) {
    forget_changes();
    drop_all(std::exchange(kept, {}));  // changed back to their loaded state
    release_touched();
    return;
  }

  // (2) order
  std::vector<const ClassInfo*> classes;
  auto note = [&](const ClassInfo* c) {
    if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
  };
  for (auto* i : pending) note(i->cls);
  for (auto* i : dirty) note(i->cls);
  for (auto& f : plan.keys) note(f.child->cls);
  for (auto* i : deleted) note(i->cls);
  classes = dependency_order(std::move(classes));

  // Each class's statements go to its bind; with one bind, to one connection.
  Connection* only = binds.size() == 1 ? &connection(true) : nullptr;
  if (only) binds.front().wrote = true;
  auto db = [&](const ClassInfo* cls) -> Connection& {
    if (only) return *only;
    BindState& bind = bind_of(cls);
    Connection& conn = connection(true, bind);
    bind.wrote = true;
    return conn;
  };
  try {
    // Foreign keys of `cls`'s objects whose parent has its key now.
    auto copy_keys = [&](const ClassInfo* cls, std::vector<InstanceBase*>& touched_children) {
      for (auto& f : plan.keys) {
        if (f.done || f.child->cls != cls || f.child->state != ObjectState::persistent) continue;
        if (f.parent && !key_ready(f.parent)) continue;
        copy_foreign_key(f);
        f.done = true;
        touched_children.push_back(f.child);
      }
    };
    // (3) per model, parents first: UPDATEs (by key), then INSERTs (in add order),
    // as SQLAlchemy orders them, so a value freed by an update can be inserted.
    auto update_objects = [&](std::vector<InstanceBase*> objects) {
      std::sort(objects.begin(), objects.end());
      objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
      std::vector<std::pair<InstanceBase*, std::vector<std::size_t>>> changes;
      for (auto* i : objects) {
        auto changed = changed_columns(i);
        if (!changed.empty()) changes.emplace_back(i, std::move(changed));
      }
      std::sort(changes.begin(), changes.end(),
                [](const auto& a, const auto& b) {
                  const Value* x = a.first->committed;
                  const Value* y = b.first->committed;
                  return std::lexicographical_compare_three_way(x, x + a.first->cls->columns.size(), y,
                                                                y + b.first->cls->columns.size()) < 0;
                });
      for (auto& [i, changed] : changes) {
        const ClassInfo* cls = i->cls;
        std::vector<Value> params;
        for (auto col : changed) params.push_back(cls->columns[col].access->get(i->object));
        for (auto k : cls->primary_key) params.push_back(i->committed[k]);
        auto& c = db(cls);
        auto n = c.exec_driver_sql(update_sql(*cls, c.dialect(), changed), params).rowcount();
        if (n != 1)
          throw StaleDataError("UPDATE of " + describe(*i) + " matched " + std::to_string(n) +
                               " rows instead of 1: the row was deleted or its key changed since it was loaded");
        // A changed primary key moves the object in the identity map.
        bool key_changed = std::any_of(changed.begin(), changed.end(), [&](std::size_t col) {
          return std::find(cls->primary_key.begin(), cls->primary_key.end(), col) != cls->primary_key.end();
        });
        if (key_changed) {
          std::vector<Value> old;
          for (auto k : cls->primary_key) old.push_back(i->committed[k]);
          erase_key(*cls, old);
          ++i->refs;
          rekeyed.emplace_back(i, std::move(old));
        }
        snapshot(i);
        if (key_changed) insert_identity(i);
      }
    };
    // An object's INSERT: its foreign keys copied from parents already
    // inserted, then the columns it writes and their values.
    struct Row {
      InstanceBase* object = nullptr;
      std::vector<bool> included;
      std::vector<Value> values;
      bool server_defaults = false;
    };
    // Fills `row` for `i`, reusing its buffers (one row at a time on SQLite).
    auto fill_row = [&](InstanceBase* i, Row& row) {
      const ClassInfo* cls = i->cls;
      plan.for_keys_of(i, [](ForeignKeyCopy& f) {
        if (!f.done && (!f.parent || key_ready(f.parent))) {
          copy_foreign_key(f);
          f.done = true;
        }
      });
      row.object = i;
      row.included.assign(cls->columns.size(), true);
      row.values.clear();
      row.values.reserve(cls->columns.size());
      row.server_defaults = false;
      for (std::size_t col = 0; col < cls->columns.size(); ++col) {
        auto& info = cls->columns[col];
        auto& access = *info.access;
        if (static_cast<int>(col) == cls->autoincrement && access.is_unset(i->object)) {
          row.included[col] = false;
          continue;
        }
        Value v = access.get(i->object);
        if (v.is_null() && info.spec().default_value) {
          v = *info.spec().default_value;
          access.set(i->object, v);
        } else if (v.is_null() && info.spec().server_default) {
          row.included[col] = false;  // let the database fill it; read back below
          row.server_defaults = true;
          continue;
        }
        row.values.push_back(std::move(v));
      }
    };
    Row one_row;  // insert_one's, reused from object to object
    // After its INSERT: the generated key (if any) set, the object persistent.
    auto inserted_row = [&](Row& row, std::optional<std::int64_t> key) {
      auto* i = row.object;
      if (key) i->cls->columns[static_cast<std::size_t>(i->cls->autoincrement)].access->set(i->object, Value(*key));
      i->state = ObjectState::persistent;
      i->flags &= ~flag_touched;
      snapshot(i);
      insert_identity(i);
      if (row.server_defaults) i->flags |= flag_expired;
      hold(inserted, i);
    };
    auto generates_key = [](const Row& row) {
      auto* cls = row.object->cls;
      return cls->autoincrement >= 0 && !row.included[static_cast<std::size_t>(cls->autoincrement)];
    };
    auto insert_one = [&](InstanceBase* i) {
      Row& row = one_row;
      fill_row(i, row);
      const ClassInfo* cls = i->cls;
      auto& c = db(cls);
      auto result = c.exec_driver_sql(insert_sql(*cls, c.dialect(), row.included), row.values);
      std::optional<std::int64_t> key;
      if (generates_key(row))
        key = returns_generated_key(*cls, c.dialect(), row.included) && result.next()
                  ? result.row().get<std::int64_t>(0)
                  : result.lastrowid();
      inserted_row(row, key);
    };
    // Many objects of one model in multi-row INSERTs (PostgreSQL): rows of one
    // shape go together, d.insert_many_rows() at a time and within the
    // protocol's 65,535 parameters. Generated keys come back with RETURNING;
    // they are drawn from the sequence in VALUES order, so sorted they are
    // the rows' keys in order, whatever order RETURNING lists them in.
    auto insert_many = [&](const std::vector<InstanceBase*>& objects) {
      const Dialect& d = db(objects.front()->cls).dialect();
      std::vector<Row> batch;
      // One INSERT of rows [from, from + n) of the batch.
      auto write_rows = [&](std::size_t from, std::size_t n) {
        const ClassInfo* cls = batch[from].object->cls;
        std::vector<Value> params;
        params.reserve(n * batch[from].values.size());
        for (std::size_t k = from; k < from + n; ++k)
          for (auto& v : batch[k].values) params.push_back(std::move(v));
        auto& c = db(cls);
        auto result = c.exec_driver_sql(insert_many_sql(*cls, c.dialect(), batch[from].included, n), params);
        std::vector<std::int64_t> keys;
        if (generates_key(batch[from])) {
          while (result.next()) keys.push_back(result.row().get<std::int64_t>(0));
          if (keys.size() != n)
            throw StaleDataError("INSERT into '" + cls->table_name + "' of " + std::to_string(n) + " rows returned " +
                                 std::to_string(keys.size()) + " keys");
          std::sort(keys.begin(), keys.end());
        }
        for (std::size_t k = 0; k < n; ++k)
          inserted_row(batch[from + k], keys.empty() ? std::nullopt : std::optional<std::int64_t>(keys[k]));
      };
      // A full page in one statement; a shorter rest in statements of 512, 256, ...
      // rows, so a model has a few statement shapes to prepare, not one per row count.
      auto write = [&] {
        std::size_t from = 0;
        while (from < batch.size()) {
          std::size_t n = batch.size() - from;
          if (n < d.insert_many_rows()) n = std::bit_floor(n);
          write_rows(from, n);
          from += n;
        }
        batch.clear();
      };
      for (auto* i : objects) {
        Row row;
        fill_row(i, row);
        if (!batch.empty() && (row.included != batch.front().included ||
                               (batch.size() + 1) * row.values.size() > 65535 || batch.size() == d.insert_many_rows()))
          write();
        if (row.values.empty()) {  // DEFAULT VALUES: one row per statement
          write();
          insert_one(i);
          continue;
        }
        batch.push_back(std::move(row));
      }
      write();
    };
    auto insert_model = [&](const ClassInfo* cls) {
      std::vector<InstanceBase*> mine;
      for (auto* i : pending)
        if (i->cls == cls) mine.push_back(i);
      // Self-referential rows: a parent before its children. Only a model with a
      // relationship to itself can have them; the others insert in add order.
      bool self_referential = std::any_of(cls->relationships.begin(), cls->relationships.end(),
                                          [&](const auto& rel) { return rel->target == cls; });
      std::vector<InstanceBase*> ordered;
      bool chained = false;  // a row needs another row of this flush inserted first
      if (!self_referential) {
        ordered = std::move(mine);
      } else {
        std::unordered_set<const InstanceBase*> in_flush(mine.begin(), mine.end());
        std::unordered_set<InstanceBase*> placed;
        std::function<void(InstanceBase*)> place = [&](InstanceBase* i) {
          if (!placed.insert(i).second) return;
          plan.for_keys_of(i, [&](ForeignKeyCopy& f) {
            if (f.parent && f.parent->cls == cls && f.parent->state == ObjectState::pending && in_flush.count(f.parent)) {
              chained = true;
              place(f.parent);
            }
          });
          ordered.push_back(i);
        };
        for (auto* i : mine) place(i);
      }
      if (ordered.size() > 1 && !chained && db(cls).dialect().insert_many_rows() > 1) {
        insert_many(ordered);
      } else {
        for (auto* i : ordered) insert_one(i);
      }
    };
    for (auto* cls : classes) {
      std::vector<InstanceBase*> objects;
      copy_keys(cls, objects);
      for (auto* i : dirty)
        if (i->cls == cls) objects.push_back(i);
      update_objects(std::move(objects));
      insert_model(cls);
      std::vector<InstanceBase*> late;  // children whose parent of this model was just inserted
      copy_keys(cls, late);
      update_objects(std::move(late));
    }
    // Foreign keys to parents of a later model (a cycle between models): written now.
    for (auto* cls : classes) {
      std::vector<InstanceBase*> late;
      for (auto& f : plan.keys)
        if (!f.done && f.child->cls == cls && f.child->state == ObjectState::persistent) {
          copy_foreign_key(f);
          f.done = true;
          late.push_back(f.child);
        }
      update_objects(std::move(late));
    }
    // Association rows: removed ones, then added ones.
    auto row_params = [](const AssociationRow& r) {
      std::vector<Value> params;
      for (auto col : r.rel->owner_cols) params.push_back(r.owner->cls->columns[col].access->get(r.owner->object));
      for (auto col : r.rel->target_cols) params.push_back(r.target->cls->columns[col].access->get(r.target->object));
      return params;
    };
    for (auto& r : plan.delete_rows) {
      auto& c = db(r.rel->owner);
      auto n = c.exec_driver_sql(association_delete_sql(*r.rel, c.dialect()), row_params(r)).rowcount();
      if (n != 1)
        throw StaleDataError("DELETE statement on table '" + r.rel->secondary->name() +
                             "' expected to delete 1 row(s); Only " + std::to_string(n) + " were matched.");
    }
    for (auto& r : plan.insert_rows) {
      auto& c = db(r.rel->owner);
      c.exec_driver_sql(association_insert_sql(*r.rel, c.dialect()), row_params(r));
    }
    // (4) deletes, children first (within a self-referential model too)
    for (auto it = classes.rbegin(); it != classes.rend(); ++it) {
      std::vector<InstanceBase*> mine;
      for (auto* i : deleted)
        if (i->cls == *it) mine.push_back(i);
      std::vector<InstanceBase*> ordered;
      std::unordered_set<InstanceBase*> placed;
      std::function<void(InstanceBase*)> place = [&](InstanceBase* i) {
        if (!placed.insert(i).second) return;
        for (auto& relp : i->cls->relationships)  // children of i among the deleted go first
          if (relp->direction == Direction::one_to_many && relp->target == i->cls)
            for (auto* other : mine) {
              auto key = parent_key_of(*relp, *other);
              bool child = !key.empty() && other != i;
              for (std::size_t k = 0; child && k < key.size(); ++k)
                child = i->committed[relp->parent_cols[k]] == key[k];
              if (child) place(other);
            }
        ordered.push_back(i);
      };
      for (auto* i : mine) place(i);
      for (auto* i : ordered) {
        std::vector<Value> key;
        for (auto k : i->cls->primary_key) key.push_back(i->committed[k]);
        auto& c = db(i->cls);
        auto n = c.exec_driver_sql(delete_sql(*i->cls, c.dialect()), key).rowcount();
        if (n != 1)
          throw StaleDataError("DELETE of " + describe(*i) + " matched " + std::to_string(n) +
                               " rows instead of 1: the row was already deleted");
      }
    }
  } catch (...) {
    fail_flush();
    throw;
  }

  for (auto* i : std::exchange(deleted, {})) {
    erase_identity(i);
    i->state = ObjectState::deleted;
    removed.push_back(i);  // keeps the reference deleted held
  }
  forget_changes();
  drop_all(std::exchange(pending, {}));
  drop_all(std::exchange(kept, {}));
  release_touched();
}

void SessionImpl::detach_all() {
  // Each object of the identity map is held until every object is detached:
  // one freed before would leave the session through on_release (a dirty
  // check and an identity-map erase each) only to be forgotten with the map.
  std::vector<InstanceBase*> all;
  all.reserve(identity_size);
  for (auto& [cls, map] : identity) {
    for (auto& [k, i] : map.by_int) all.push_back(i);
    for (auto& [k, i] : map.by_values) all.push_back(i);
  }
  for (auto* i : all) ++i->refs;
  reset_all_states(all);
  auto detach = [](InstanceBase* i) {
    i->session = nullptr;
    if (i->state == ObjectState::persistent || i->state == ObjectState::deleted) i->state = ObjectState::detached;
    i->flags &= ~flag_touched;
  };
  // Lists first: dropping their references must not reach a freed session.
  std::vector<InstanceBase*> held;
  for (auto* list : {&pending, &deleted, &touched, &kept, &inserted, &removed}) take_entries(held, *list);
  for (auto& entry : std::exchange(rekeyed, {})) held.push_back(entry.first);
  clear_identity();
  for (auto* i : held) {
    if (i->state == ObjectState::pending) i->state = ObjectState::transient;
    detach(i);
  }
  for (auto* i : all) detach(i);
  // The session is null now: a last reference deletes the object. Objects only
  // the identity map knew (no Ptr, no list: each list entry holds a reference) go here.
  drop_all(std::move(all));
  drop_all(std::move(held));
}

}  // namespace detail

using namespace detail;

// ---- Session ------------------------------------------------------------------------------

Session::Session(Engine engine, SessionOptions options)
    : impl_(std::make_unique<SessionImpl>(std::move(engine), std::move(options))) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& o) noexcept {
  if (this != &o) {
    if (impl_) close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}

Session::~Session() {
  if (!impl_) return;
  try {
    close();
  } catch (...) {
    // A destructor never throws; close() only fails if ROLLBACK fails, and the
    // connection is dropped in that case.
  }
}

void Session::add_instance(InstanceBase* i) {
  if (!i) throw ArgumentError("add() of a null Ptr");
  impl_->add(i);
}

void Session::delete_instance(InstanceBase* i) {
  auto& s = *impl_;
  s.check_usable();
  if (!i) throw ArgumentError("delete_() of a null Ptr");
  if (i->session != &s)
    throw InvalidRequestError("Instance " + i->cls->type_name + " is not persisted in this session; add() or load it first");
  if (i->state == ObjectState::pending) {
    expunge_instance(i);
    return;
  }
  if (std::find(s.deleted.begin(), s.deleted.end(), i) == s.deleted.end()) s.hold(s.deleted, i);
}

InstanceBase* Session::get_instance(const ClassInfo& cls, const std::vector<Value>& key) {
  auto& s = *impl_;
  s.check_usable();
  if (key.size() != cls.primary_key.size())
    throw ArgumentError("get<" + cls.type_name + ">() needs " + std::to_string(cls.primary_key.size()) +
                        " key value(s), got " + std::to_string(key.size()));
  if (InstanceBase* i = s.find(cls, key)) {
    if (i->flags & flag_expired && !s.refresh(i)) {
      s.erase_identity(i);  // its row is gone: the key is free for a new object
      return nullptr;
    }
    return i;
  }
  s.autoflush();
  if (cls.related) {
    // Relationships that load eagerly load with get() too (lazy="joined" in the same statement).
    auto eager = make_plan(cls, {}, nullptr, 0);
    if (!eager.items.empty()) {
      std::vector<Expr> terms;
      for (std::size_t k = 0; k < key.size(); ++k) terms.push_back(column_expr(cls, cls.primary_key[k]) == Expr(key[k]));
      auto found = QueryCore(&s, cls).filter(and_(std::move(terms))).fetch();
      return found.empty() ? nullptr : found.front();
    }
  }
  auto result = s.read(&cls, [&](Connection& c) { return c.exec_driver_sql(select_by_key_sql(cls, c.dialect()), key); });
  if (!result.next()) return nullptr;
  return s.load_row(cls, result.row());
}

InstanceBase* Session::merge_instance(const ClassInfo& cls, const void* obj) {
  std::vector<Value> key;
  for (auto k : cls.primary_key) key.push_back(cls.columns[k].access->get(obj));
  bool has_key = std::none_of(key.begin(), key.end(), [](const Value& v) { return v.is_null(); }) &&
                 !(cls.autoincrement >= 0 && cls.columns[static_cast<std::size_t>(cls.autoincrement)].access->is_unset(obj));
  InstanceBase* target = has_key ? get_instance(cls, key) : nullptr;
  bool fresh = !target;
  std::unique_ptr<InstanceBase> created(fresh ? cls.create() : nullptr);
  if (fresh) target = created.get();
  for (auto& c : cls.columns) c.access->set(target->object, c.access->get(obj));
  if (fresh) {
    add_instance(target);
    created.release();  // the session holds it now
  } else if (!(target->flags & flag_touched)) {
    on_access(target);  // merged values are a change to flush
  }
  return target;
}

void Session::flush() { impl_->flush(true); }

void Session::commit() {
  auto& s = *impl_;
  s.flush(true);
  s.close_streams("commit()");
  try {
    s.end_transactions(true);
  } catch (...) {
    // The connection rolled back; like a failed flush, the session needs rollback().
    s.failed = true;
    throw;
  }
  auto removed = std::exchange(s.removed, {});
  for (auto* i : removed) s.reset_states(i);  // deleted: what they referred to is let go
  for (auto* i : removed) {
    i->state = ObjectState::detached;
    i->session = nullptr;
  }
  s.drop_all(std::move(removed));
  s.drop_all(std::exchange(s.inserted, {}));
  s.forget_rekeyed();
  if (s.options.expire_on_commit) expire_all();
}

void Session::rollback() {
  auto& s = *impl_;
  s.close_streams("rollback()");
  s.end_transactions(false);
  s.failed = false;
  s.reset_all_states();
  // Objects added or inserted in the transaction leave the session; deleted
  // ones come back; every other object reloads on next access.
  auto inserted = std::exchange(s.inserted, {});
  auto removed = std::exchange(s.removed, {});
  std::unordered_set<InstanceBase*> new_here(inserted.begin(), inserted.end());
  for (auto* i : inserted) {
    if (i->session != &s) continue;
    if (i->state == ObjectState::persistent) s.erase_identity(i);
    i->state = ObjectState::transient;
    i->session = nullptr;
    i->has_snapshot = false;
  }
  for (auto it = s.rekeyed.rbegin(); it != s.rekeyed.rend(); ++it) {
    auto* i = it->first;
    if (i->session != &s || i->state != ObjectState::persistent) continue;
    s.erase_identity(i);
    for (std::size_t k = 0; k < i->cls->primary_key.size(); ++k) i->committed[i->cls->primary_key[k]] = it->second[k];
    s.insert_identity(i);  // reloads under the key its row has again
  }
  s.forget_rekeyed();
  for (auto* i : removed) {
    if (new_here.count(i)) continue;
    i->state = ObjectState::persistent;
    s.insert_identity(i);  // its key is free again: the objects inserted since are gone
  }
  for (auto* i : s.pending) {
    i->state = ObjectState::transient;
    i->session = nullptr;
    i->flags = 0;
  }
  for (auto* i : s.touched) i->flags &= ~flag_touched;
  expire_all();  // before releasing: an expired object is not kept as modified
  std::vector<InstanceBase*> held;
  for (auto* list : {&inserted, &removed, &s.pending, &s.deleted, &s.kept, &s.touched}) take_entries(held, *list);
  s.drop_all(std::move(held));
}

void Session::close() {
  auto& s = *impl_;
  s.close_streams("close()");
  try {
    s.end_transactions(false);
  } catch (...) {
    // a lost connection: nothing to roll back
  }
  s.failed = false;
  s.detach_all();
}

void Session::expire_all() {
  // Expired first: an object that the reset below frees is then not compared
  // with its snapshot (an expired object's changes are discarded, not kept).
  for (auto& [cls, map] : impl_->identity) {
    for (auto& [k, i] : map.by_int) i->flags |= flag_expired;
    for (auto& [k, i] : map.by_values) i->flags |= flag_expired;
  }
  impl_->reset_all_states();
}

void Session::expire_instance(InstanceBase* i) {
  if (!i || i->session != impl_.get() || i->state != ObjectState::persistent)
    throw InvalidRequestError("expire() of an object that is not persistent in this session");
  i->flags |= flag_expired;
  impl_->reset_states(i);
}

void Session::refresh_instance(InstanceBase* i) {
  if (!i || i->session != impl_.get() || i->state != ObjectState::persistent)
    throw InvalidRequestError("refresh() of an object that is not persistent in this session");
  impl_->check_usable();
  if (!impl_->refresh(i)) throw InvalidRequestError("Could not refresh instance " + describe(*i) + ": its row is gone");
}

void Session::expunge_instance(InstanceBase* i) {
  auto& s = *impl_;
  if (!i || i->session != &s) throw InvalidRequestError("expunge() of an object that is not in this session");
  auto take = [&](std::vector<InstanceBase*>& list) {
    auto it = std::find(list.begin(), list.end(), i);
    if (it == list.end()) return false;
    list.erase(it);
    return true;
  };
  s.reset_states(i);
  bool was_pending = take(s.pending);
  if (i->state == ObjectState::persistent || i->state == ObjectState::deleted) s.erase_identity(i);
  int held = 0;
  for (auto* list : {&s.pending, &s.deleted, &s.touched, &s.kept, &s.inserted, &s.removed, &s.rel_dirty})
    held += take(*list) ? 1 : 0;
  held += was_pending ? 1 : 0;
  i->in_rel_dirty = false;
  i->session = nullptr;
  i->state = was_pending ? ObjectState::transient : ObjectState::detached;
  i->flags &= ~flag_touched;
  // The caller still holds a Ptr, so these references are never the last.
  i->refs -= static_cast<std::uint32_t>(held);
}

bool Session::modified(const InstanceBase* i) const {
  return i && i->state == ObjectState::persistent && impl_->modified(i);
}

Connection& Session::connection() {
  auto& c = impl_->connection(true);
  impl_->binds.front().wrote = true;  // what the caller runs on it is unknown: count it as a write
  return c;
}
Engine& Session::engine() { return impl_->binds.front().engine; }

Result Session::execute(const Select& stmt, const Params& params, std::string_view bind_key) {
  auto& s = *impl_;
  s.autoflush();
  return s.read(s.bind_named(bind_key), [&](Connection& c) { return c.execute(stmt, params); });
}
std::size_t Session::size() const { return impl_->identity_size; }

}  // namespace retort
