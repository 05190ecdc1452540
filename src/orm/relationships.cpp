// Relationship states in memory: appending, removing and assigning keep the
// other side in sync at once (as SQLAlchemy's backref events do), record what
// changed for the next flush, and cascade the add to the owner's session.
// Loading an unloaded state (the lazy strategies) is here too.
//
// Ownership: a state holds raw pointers. The session links every object a
// state refers to (one reference while any state does), and unlinks them when
// it resets the states at commit, rollback, expire and close; so a loaded
// object graph lives as long as its transaction, and no reference cycle
// outlives the session.
#include <algorithm>
#include <iostream>

#include "orm/loading.hpp"
#include "orm/relationships.hpp"
#include "orm/session_impl.hpp"
#include "orm/statements.hpp"

namespace retort::detail {

namespace {

SessionImpl* session_of(const RelState& s) { return s.owner_ ? s.owner_->session : nullptr; }

/// A state whose owner is not in a session keeps what it is given in
/// `unbound_` (holding references) until the owner is added.
bool unbound(const RelState& s) {
  return !s.owner_ || (!s.owner_->session && s.owner_->state == ObjectState::transient);
}

void hold_ref(InstanceBase* i) { ++i->refs; }
void drop_ref(InstanceBase* i) {
  if (--i->refs == 0) release(i);
}

bool erase_one(std::vector<InstanceBase*>& v, InstanceBase* x) {
  auto it = std::find(v.begin(), v.end(), x);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

/// The object a scalar state holds, when known without SQL: loaded, or the
/// many-to-one's parent found in the identity map.
InstanceBase* known_target(RelState& s) {
  if (s.loaded_) return s.items_.empty() ? nullptr : s.items_.front();
  auto* session = session_of(s);
  if (!session || s.info_->direction != Direction::many_to_one) return nullptr;
  auto key = parent_key_of(*s.info_, *s.owner_);
  return key.empty() ? nullptr : session->find(*s.info_->target, key);
}

// The one-sided operations: change one state and its history, no partner sync.
void push_item(RelState& s, InstanceBase* x) {
  auto& session = *session_of(s);
  if (s.loaded_) {
    s.items_.push_back(x);
    session.link(x);
  }
  if (erase_one(s.removed_, x)) {
    session.unlink(x);
  } else {
    s.added_.push_back(x);
    session.link(x);
  }
  session.note_changed(s);
}

void pull_item(RelState& s, InstanceBase* x) {
  auto& session = *session_of(s);
  if (s.loaded_ && erase_one(s.items_, x)) session.unlink(x);
  if (erase_one(s.added_, x)) {
    session.unlink(x);
  } else {
    s.removed_.push_back(x);
    session.link(x);
  }
  session.note_changed(s);
}

void set_scalar(RelState& s, InstanceBase* x) {
  auto& session = *session_of(s);
  InstanceBase* old = known_target(s);
  if (s.loaded_ && old == x) return;
  if (x) session.link(x);
  for (auto* i : std::exchange(s.items_, {})) session.unlink(i);
  if (x) s.items_.push_back(x);
  s.loaded_ = true;
  if (old && !erase_one(s.added_, old) && std::find(s.removed_.begin(), s.removed_.end(), old) == s.removed_.end()) {
    s.removed_.push_back(old);
    session.link(old);
  } else if (old) {
    session.unlink(old);
  }
  if (x) {
    if (erase_one(s.removed_, x)) session.unlink(x);
    s.added_.push_back(x);
    session.link(x);
  }
  session.note_changed(s);
}

/// The save-update cascade: what is put in a session object's relationship joins the session.
void cascade_add(RelState& s, InstanceBase* x) {
  auto* session = session_of(s);
  if (x->session == session) return;
  if (x->session)
    throw InvalidRequestError("Object " + describe(*x) + " is attached to another session; it cannot join " +
                              s.info_->qualified() + " of an object in this one (use merge() to copy it)");
  if (!s.info_->cascade.save_update)
    throw InvalidRequestError("Object " + describe(*x) + " is not in the session, and " + s.info_->qualified() +
                              " has no save-update cascade; add() it first");
  session->add(x);
}

void check_target(const RelState& s, InstanceBase* x) {
  if (!s.info_) throw InvalidRequestError("this relationship member belongs to no mapped object yet");
  if (!x) throw ArgumentError("relationship " + s.info_->qualified() + ": a null Ptr cannot be appended or removed");
  if (x->cls != s.info_->target)
    throw ArgumentError("relationship " + s.info_->qualified() + " holds " + s.info_->target->type_name + " objects, not " +
                        x->cls->type_name);
}

void check_attached(const RelState& s) {
  if (s.owner_ && !s.owner_->session && s.owner_->state != ObjectState::transient) not_in_session(s);
}

/// An expired owner is reloaded first: its key and foreign keys are read below.
void refresh_owner(const RelState& s) {
  if (s.owner_ && (s.owner_->flags & flag_expired)) on_access(s.owner_);
}

}  // namespace

void not_in_session(const RelState& s) {
  throw InvalidRequestError("Parent instance " + describe(*s.owner_) +
                            " is not bound to a Session; lazy load operation of attribute '" + s.info_->name +
                            "' cannot proceed (relationships are unloaded when the session closes: read them before, "
                            "or load the object in a new session)");
}

std::vector<Value> parent_key_of(const RelationshipInfo& rel, const InstanceBase& child) {
  std::vector<Value> key;
  for (auto c : rel.child_cols) {
    Value v = child.cls->columns[c].access->get(child.object);
    if (v.is_null()) return {};
    key.push_back(std::move(v));
  }
  return key;
}

InstanceBase::~InstanceBase() {
  delete extra;
  if (committed)
    for (std::size_t c = 0; c < cls->columns.size(); ++c) committed[c].~Value();
}

void bind_relationships(InstanceBase* i) {
  for (auto& rel : i->cls->relationships)
    if (rel->access) {
      auto& s = rel->access->state(i->object);
      s.owner_ = i;
      s.info_ = rel.get();
    }
}

// ---- RelState ---------------------------------------------------------------------

RelState::RelState(RelState&& o) noexcept {
  if (!o.owner_) unbound_ = std::exchange(o.unbound_, {});
}

RelState& RelState::operator=(RelState&& o) noexcept {
  if (!owner_ && !o.owner_ && this != &o) {
    for (auto* i : std::exchange(unbound_, {})) drop_ref(i);
    unbound_ = std::exchange(o.unbound_, {});
  }
  return *this;
}

RelState::~RelState() {
  for (auto* i : std::exchange(unbound_, {})) drop_ref(i);
}

const std::vector<InstanceBase*>& RelState::items() const {
  if (unbound(*this)) return unbound_;
  if (!loaded_) refresh_owner(*this);
  auto& self = const_cast<RelState&>(*this);
  if (!loaded_) {
    if (!owner_->session) not_in_session(*this);
    owner_->session->load_state(self);
  }
  return items_;
}

InstanceBase* RelState::target() const {
  auto& v = items();
  return v.empty() ? nullptr : v.front();
}

void RelState::append(InstanceBase* x) {
  refresh_owner(*this);
  if (!owner_ || unbound(*this)) {
    if (!x) throw ArgumentError("a null Ptr cannot be appended to a relationship");
    hold_ref(x);
    unbound_.push_back(x);
    return;
  }
  check_attached(*this);
  check_target(*this, x);
  if (info_->scalar())
    throw InvalidRequestError("relationship " + info_->qualified() + " refers to one object: assign it instead of append()");
  cascade_add(*this, x);
  push_item(*this, x);
  if (auto* partner = info_->partner) {
    auto& other = state_of(x, *partner);
    if (partner->scalar()) {
      InstanceBase* previous = known_target(other);
      if (previous && previous != owner_) {
        auto& old_side = state_of(previous, *info_);
        if (!old_side.loaded_ || std::find(old_side.items_.begin(), old_side.items_.end(), x) != old_side.items_.end())
          pull_item(old_side, x);
      }
      if (previous != owner_ || !other.loaded_) set_scalar(other, owner_);
    } else {
      push_item(other, owner_);
    }
  }
}

void RelState::remove(InstanceBase* x) {
  refresh_owner(*this);
  if (!owner_ || unbound(*this)) {
    auto it = std::find(unbound_.begin(), unbound_.end(), x);
    if (it == unbound_.end()) throw ArgumentError("remove(): the object is not in this collection");
    unbound_.erase(it);
    drop_ref(x);
    return;
  }
  check_attached(*this);
  check_target(*this, x);
  if (info_->scalar()) throw InvalidRequestError("relationship " + info_->qualified() + " refers to one object: assign nullptr instead of remove()");
  if (loaded_ && std::find(items_.begin(), items_.end(), x) == items_.end())
    throw ArgumentError("remove(): " + describe(*x) + " is not in " + info_->qualified() + " of " +
                        describe(*owner_));
  pull_item(*this, x);
  if (auto* partner = info_->partner) {
    auto& other = state_of(x, *partner);
    if (partner->scalar()) {
      InstanceBase* current = known_target(other);
      if (current == owner_ || !other.loaded_) set_scalar(other, nullptr);
    } else if (!other.loaded_ || std::find(other.items_.begin(), other.items_.end(), owner_) != other.items_.end()) {
      pull_item(other, owner_);
    }
  }
}

void RelState::assign(InstanceBase* x) {
  refresh_owner(*this);
  if (!owner_ || unbound(*this)) {
    for (auto* i : std::exchange(unbound_, {})) drop_ref(i);
    if (x) {
      hold_ref(x);
      unbound_.push_back(x);
    }
    return;
  }
  check_attached(*this);
  if (!info_->scalar())
    throw InvalidRequestError("relationship " + info_->qualified() + " is a collection: append() to it instead");
  if (x) {
    check_target(*this, x);
    cascade_add(*this, x);
  }
  // A one-to-one's old child must be known to lose its foreign key: load it (SQLAlchemy does too).
  if (!loaded_ && info_->direction == Direction::one_to_many) (void)items();
  InstanceBase* old = known_target(*this);
  if (loaded_ && old == x) return;
  set_scalar(*this, x);
  if (auto* partner = info_->partner) {
    if (old && old != x) {
      auto& old_side = state_of(old, *partner);
      if (partner->scalar()) {
        if (known_target(old_side) == owner_) set_scalar(old_side, nullptr);
      } else if (!old_side.loaded_ ||
                 std::find(old_side.items_.begin(), old_side.items_.end(), owner_) != old_side.items_.end()) {
        pull_item(old_side, owner_);
      }
    }
    if (x) {
      auto& new_side = state_of(x, *partner);
      if (partner->scalar()) {
        // One-to-one: the object's previous partner loses it.
        InstanceBase* previous = known_target(new_side);
        if (previous && previous != owner_) set_scalar(state_of(previous, *info_), nullptr);
        set_scalar(new_side, owner_);
      } else {
        push_item(new_side, owner_);
      }
    }
  }
}

void RelState::clear() {
  if (!owner_ || unbound(*this)) {
    for (auto* i : std::exchange(unbound_, {})) drop_ref(i);
    return;
  }
  if (info_->scalar()) {
    assign(nullptr);
    return;
  }
  auto current = items();
  for (auto* x : current) remove(x);
}

// ---- the session's side -------------------------------------------------------------

void SessionImpl::link(InstanceBase* i) {
  if (i->links++ == 0) ++i->refs;
}

void SessionImpl::unlink(InstanceBase* i) {
  if (--i->links == 0) drop_ref(i);
}

void SessionImpl::note_changed(RelState& s) {
  if (s.changed_) return;
  if (!s.owner_->in_rel_dirty) {
    s.owner_->in_rel_dirty = true;
    hold(rel_dirty, s.owner_);
  }
  s.changed_ = true;
}

void SessionImpl::drop_rel_dirty() {
  for (auto* i : rel_dirty) i->in_rel_dirty = false;
  drop_all(std::exchange(rel_dirty, {}));
}

void SessionImpl::reset_states(InstanceBase* i) {
  if (!i->cls->related) return;
  for_each_state(i, [&](RelState& s) {
    // The state is emptied before anything is unlinked: an unlink may free an
    // object, whose own reset may reach this state again.
    auto was_items = std::exchange(s.items_, {});
    auto was_added = std::exchange(s.added_, {});
    auto was_removed = std::exchange(s.removed_, {});
    s.loaded_ = false;
    s.changed_ = false;
    s.overridden_ = false;
    for (auto* v : {&was_items, &was_added, &was_removed})
      for (auto* x : *v) unlink(x);
  });
}

void SessionImpl::reset_all_states() {
  std::vector<InstanceBase*> all;
  for (auto& [cls, map] : identity) {
    if (!cls->related) continue;
    for (auto& [k, i] : map.by_int) all.push_back(i);
    for (auto& [k, i] : map.by_values) all.push_back(i);
  }
  for (auto* i : all) ++i->refs;  // nothing is freed while states are being reset
  reset_all_states(all);
  drop_all(std::move(all));
}

void SessionImpl::reset_all_states(const std::vector<InstanceBase*>& held_identity) {
  // The identity map's objects are held by the caller; the lists' are held here.
  std::vector<InstanceBase*> listed;
  for (auto* list : {&pending, &deleted, &removed, &inserted, &rel_dirty})
    for (auto* i : *list)
      if (i->cls->related) listed.push_back(i);
  for (auto* i : listed) ++i->refs;
  for (auto* i : held_identity) reset_states(i);
  for (auto* i : listed) reset_states(i);
  drop_rel_dirty();
  lazy_loads.clear();
  drop_all(std::move(listed));
}

void SessionImpl::add(InstanceBase* i) {
  check_usable();
  if (i->session == this) return;
  if (i->session) throw InvalidRequestError("Object " + describe(*i) + " is already attached to another session");
  if (i->state == ObjectState::transient) {
    i->session = this;
    i->state = ObjectState::pending;
    i->flags = flag_touched;  // pending objects are written whole: no need to track access
    hold(pending, i);
  } else {
    if (!i->has_snapshot) snapshot(i);
    insert_identity(i);  // may throw (the key is taken): the object stays detached
    i->session = this;
    i->state = ObjectState::persistent;
  }
  if (!i->cls->related) return;
  // A new object's relationships start loaded and empty; what was appended
  // before the object joined a session joins with it.
  bool fresh = i->state == ObjectState::pending;
  for_each_state(i, [&](RelState& s) {
    if (fresh && !s.loaded_ && s.info_->kind != MemberKind::dynamic) fill_state(s, {});
    auto given = std::exchange(s.unbound_, {});
    for (auto* x : given) {
      if (s.info_->scalar()) s.assign(x);
      else s.append(x);
    }
    for (auto* x : given) drop_ref(x);
  });
}

void SessionImpl::fill_state(RelState& s, const std::vector<InstanceBase*>& rows) {
  for (auto* x : std::exchange(s.items_, {})) unlink(x);
  for (auto* x : rows) {
    s.items_.push_back(x);
    link(x);
  }
  // Changes not flushed yet stay visible on top of what the database has.
  for (auto* x : s.added_)
    if (s.info_->scalar() || std::find(s.items_.begin(), s.items_.end(), x) == s.items_.end()) {
      if (s.info_->scalar())
        for (auto* old : std::exchange(s.items_, {})) unlink(old);
      s.items_.push_back(x);
      link(x);
    }
  for (auto* x : s.removed_)
    if (erase_one(s.items_, x)) unlink(x);
  s.loaded_ = true;
}

std::string bind_name(const ClassInfo& cls) {
  return cls.bind_key.empty() ? std::string("the default bind") : "bind '" + cls.bind_key + "'";
}

void RelationshipInfo::check_one_bind(std::string_view how) const {
  if (owner->bind_key == target->bind_key) return;
  throw ArgumentError(std::string(how) + " of " + qualified() + " would join " + owner->table_name + " (" +
                      bind_name(*owner) + ") with " + target->table_name + " (" + bind_name(*target) +
                      "): a join cannot cross databases; load it with selectinload (or lazily), which reads each "
                      "database with its own statement");
}

void SessionImpl::load_state(RelState& s) {
  const RelationshipInfo& rel = *s.info_;
  Lazy strategy = s.overridden_ ? s.override_ : rel.lazy;
  auto unavailable = [&] {
    return InvalidRequestError("'" + rel.qualified() + "' is not available due to lazy='" + lazy_name(strategy) +
                               "'; load it eagerly with .options(retort::selectinload(\"" + rel.name +
                               "\")) or retort::joinedload(...)");
  };
  if (s.owner_->state == ObjectState::pending) {  // nothing in the database refers to it yet
    fill_state(s, {});
    return;
  }
  if (strategy == Lazy::raise && !flushing) throw unavailable();
  if (strategy == Lazy::noload) {
    fill_state(s, {});
    return;
  }
  if (strategy == Lazy::dynamic)
    throw InvalidRequestError("'" + rel.qualified() + "' is dynamic: query it (.query(), .filter(), .count()) instead of loading it");
  if (rel.direction == Direction::many_to_one) {
    auto key = parent_key_of(rel, *s.owner_);
    InstanceBase* parent = key.empty() ? nullptr : find(*rel.target, key);
    if (key.empty() || parent) {
      fill_state(s, parent ? std::vector<InstanceBase*>{parent} : std::vector<InstanceBase*>{});
      return;
    }
  }
  if (strategy == Lazy::raise_on_sql && !flushing) throw unavailable();
  // The N+1 detector: the second lazy load of one relationship among the objects of one result.
  if (options.n_plus_one != NPlusOne::off && s.owner_->origin != 0 && !flushing) {
    int n = ++lazy_loads[{&rel, s.owner_->origin}];
    if (n >= 2) {
      std::string message = "N+1 query: lazy load of '" + rel.qualified() + "' repeated " + std::to_string(n) +
                            " times for the objects of one query result; load it with the query: "
                            ".options(retort::selectinload(\"" + rel.name + "\"))";
      if (options.n_plus_one == NPlusOne::raise) throw InvalidRequestError(message);
      if (n == 2) {
        if (options.n_plus_one_log) options.n_plus_one_log(message);
        else std::cerr << "retort: " << message << "\n";
      }
    }
  }
  if (!flushing) autoflush();
  if (s.loaded_) return;  // the autoflush may have loaded it
  std::vector<Value> params;
  const auto& key_cols = rel.direction == Direction::many_to_many ? rel.owner_cols
                         : rel.direction == Direction::one_to_many ? rel.parent_cols
                                                                   : rel.child_cols;
  for (auto c : key_cols) params.push_back(s.owner_->cls->columns[c].access->get(s.owner_->object));
  if (std::any_of(params.begin(), params.end(), [](const Value& v) { return v.is_null(); })) {
    fill_state(s, {});  // no key yet (pending): nothing in the database refers to it
    return;
  }
  auto result = read(rel.target, [&](Connection& c) { return c.exec_driver_sql(lazy_load_sql(rel, c.dialect()), params); });
  std::vector<InstanceBase*> rows;
  std::uint32_t origin = ++next_origin;
  while (result.next()) {
    rows.push_back(load_row(*rel.target, result.row()));
    rows.back()->origin = origin;
  }
  if (rel.scalar() && rows.size() > 1 && rel.direction == Direction::one_to_many)
    std::cerr << "retort: Multiple rows returned with uselist=false for lazily-loaded attribute '" << rel.qualified()
              << "'\n";
  if (rel.scalar() && rows.size() > 1) rows.erase(rows.begin() + 1, rows.end());
  fill_state(s, rows);
  // The children's reverse side is known without SQL now.
  if (rel.partner && rel.partner->scalar() && rel.direction == Direction::one_to_many)
    for (auto* child : rows) {
      auto& back = state_of(child, *rel.partner);
      if (!back.loaded_) fill_state(back, {s.owner_});
    }
  // What the target's relationships load eagerly comes with them.
  if (rel.target->related && !rows.empty()) load_below(*this, rows, make_plan(*rel.target, {}, &rel, 1));
}

QueryCore RelState::query() const {
  if (!owner_ || !owner_->session) {
    if (!owner_) throw InvalidRequestError("a dynamic relationship can be queried once its object is in a session");
    not_in_session(*this);
  }
  return QueryCore(owner_->session, *info_->target).with_parent(*info_, owner_);
}

}  // namespace retort::detail
