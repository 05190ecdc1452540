// The resolved form of a relationship, shared by configuration
// (relationship_config.cpp), the in-memory side (relationships.cpp), flush
// (session.cpp) and loading (loading.cpp).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retort/orm/relationship.hpp"

namespace retort::detail {

enum class Direction : std::uint8_t { many_to_one, one_to_many, many_to_many };

/// SQLAlchemy's cascade set; the default is save-update and merge.
struct Cascade {
  bool save_update = true;
  bool merge = true;
  bool delete_ = false;
  bool delete_orphan = false;
  bool refresh_expire = false;
  bool expunge = false;
  /// Parses "all, delete-orphan"; ArgumentError naming an unknown word.
  static Cascade parse(std::string_view text);
};

struct RelationshipInfo {
  std::string name;
  const ClassInfo* owner = nullptr;
  const ClassInfo* target = nullptr;
  Direction direction = Direction::one_to_many;
  MemberKind kind = MemberKind::collection;
  bool uselist = true;
  const RelationshipAccess* access = nullptr;  ///< null for a side a backref created
  std::size_t slot = 0;                        ///< its place in InstanceBase::extra (backref sides)
  RelState* (*make_state)() = nullptr;         ///< creates a backref side's state

  // One-to-many and many-to-one: the child's foreign-key columns refer to the parent's columns.
  std::vector<std::size_t> child_cols;   ///< indexes into the child's columns
  std::vector<std::size_t> parent_cols;  ///< indexes into the parent's columns
  // Many-to-many: the secondary's columns that refer to the owner and to the target.
  std::optional<Table> secondary;
  std::vector<std::string> secondary_owner, secondary_target;
  std::vector<std::size_t> owner_cols, target_cols;  ///< the columns they refer to

  const RelationshipInfo* partner = nullptr;
  /// The side whose changes the flush writes: a many-to-one, a one-to-many
  /// without a partner, the first-declared side of a many-to-many.
  bool drives_flush = true;
  Lazy lazy = Lazy::select;
  std::vector<std::pair<std::size_t, bool>> order_by;  ///< target column, descending
  Cascade cascade;
  bool passive_deletes = false;

  bool scalar() const { return !uselist; }
  const ClassInfo& child() const { return direction == Direction::many_to_one ? *owner : *target; }
  const ClassInfo& parent() const { return direction == Direction::many_to_one ? *target : *owner; }
  /// "Owner.pets"
  std::string qualified() const { return owner->type_name + "." + name; }
  /// ArgumentError when a join (`how` names it) would cross two binds (databases).
  void check_one_bind(std::string_view how) const;
};

/// "the default bind" or "bind 'key'", for errors.
std::string bind_name(const ClassInfo& cls);

/// Whatever extra state an object carries for backref-created sides, by slot.
/// A model has one or two such sides as a rule: those slots are inline, so a
/// backref's state costs no list allocation besides its own.
struct ExtraStates {
  static constexpr std::size_t inline_slots = 2;
  std::array<std::unique_ptr<RelState>, inline_slots> first;
  std::vector<std::unique_ptr<RelState>> rest;  ///< slots from inline_slots on

  /// The state in `slot`, or null.
  RelState* find(std::size_t slot) const {
    if (slot < inline_slots) return first[slot].get();
    slot -= inline_slots;
    return slot < rest.size() ? rest[slot].get() : nullptr;
  }
  /// The holder of `slot` (empty until the state is made).
  std::unique_ptr<RelState>& at(std::size_t slot) {
    if (slot < inline_slots) return first[slot];
    slot -= inline_slots;
    if (rest.size() <= slot) rest.resize(slot + 1);
    return rest[slot];
  }
};

/// Resolves every enrolled model's relationships (targets, directions, join
/// columns, backrefs, partners); an error is kept on the models involved.
void configure_relationships(const std::vector<ClassInfo*>& classes);

/// Every state an object has (declared members, then backref slots in use).
template <class F>
void for_each_state(InstanceBase* i, F&& f) {
  for (auto& rel : i->cls->relationships) {
    if (rel->access) {
      f(rel->access->state(i->object));
    } else if (i->extra) {
      if (RelState* s = i->extra->find(rel->slot)) f(*s);
    }
  }
}

/// The primary key of the object a scalar state would load from the child's
/// foreign key (many-to-one), or an empty vector when the key is NULL.
std::vector<Value> parent_key_of(const RelationshipInfo& rel, const InstanceBase& child);

}  // namespace retort::detail
