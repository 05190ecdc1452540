// Ptr<T>: the handle to an object a Session manages.
//
// States (as SQLAlchemy's): pending (added, not yet flushed), persistent (has
// a row), deleted (deleted, flushed, not yet committed), detached (its session
// closed or expunged it). Copies share the object; a Session holds at most one
// object per primary key, so two queries for the same row give equal Ptrs.
//
// Lifetime: the session keeps pending, deleted and modified objects alive; a
// clean persistent object lives while some Ptr refers to it, so a long session
// that loads and drops objects stays bounded. A Ptr may outlive its session:
// the object is then detached, and reading an expired one raises
// InvalidRequestError.
//
// Access through `->` or `*` notes the object as possibly changed; autoflush
// compares such objects with their loaded state. `flush()` and `commit()`
// compare every object, so a change made through a reference kept across a
// flush is still written at the next commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "retort/core/value.hpp"
#include "retort/orm/mapper.hpp"

namespace retort {

enum class ObjectState : std::uint8_t { transient, pending, persistent, deleted, detached };

/// What to_dict() writes. Default: every column.
struct ToDictOptions {
  std::vector<std::string> only;     ///< just these columns (and includes)
  std::vector<std::string> exclude;  ///< all columns but these
  std::vector<std::string> include;  ///< relationships to nest ("pets", "pets.toys")
  int max_depth = 3;                 ///< nesting limit for includes
};

namespace detail {

class SessionImpl;
struct ExtraStates;
template <class J, class T>
struct ToDict;  // defined in retort/orm/to_dict.hpp

enum InstanceFlags : std::uint8_t {
  flag_touched = 1,  ///< accessed since the last flush: may be dirty
  flag_expired = 2,  ///< column values must be reloaded before use
};

/// The block every managed object lives in: bookkeeping, then the object.
struct InstanceBase {
  const ClassInfo* cls = nullptr;
  SessionImpl* session = nullptr;
  void* object = nullptr;
  std::uint32_t refs = 0;
  ObjectState state = ObjectState::transient;
  std::uint8_t flags = 0;
  bool in_rel_dirty = false;  ///< listed in its session's rel_dirty (a scan of that list would be quadratic)
  bool has_snapshot = false;  ///< `committed` holds the values as loaded or flushed
  /// Relationship states that refer to this object; while any do, the session holds a reference.
  std::uint32_t links = 0;
  /// The query result this object was loaded by (the N+1 detector groups lazy loads by it).
  std::uint32_t origin = 0;
  /// Column values as last loaded or flushed (dirty checking), one per mapped
  /// column, meaningful while `has_snapshot`. They live after the object in
  /// its own allocation (make_instance): an object costs one allocation, not two.
  Value* committed = nullptr;
  ExtraStates* extra = nullptr;  ///< states of the relationships backrefs created on this model

  InstanceBase() = default;
  InstanceBase(const InstanceBase&) = delete;
  InstanceBase& operator=(const InstanceBase&) = delete;
  virtual ~InstanceBase();
  /// make_instance's block is freed whole (the snapshot's Values are destroyed by ~InstanceBase).
  static void operator delete(void* p) noexcept { ::operator delete(p); }
};

/// Points the relationship members of a new object at it.
void bind_relationships(InstanceBase* instance);

template <class T>
struct Instance final : InstanceBase {
  T value;
  Instance() { init(); }
  explicit Instance(T&& v) : value(std::move(v)) { init(); }

 private:
  void init() {
    cls = &retort::class_info<T>();
    object = &value;
    if (cls->related) bind_relationships(this);
  }
};

/// A new managed object, `Instance<T>(args...)`, in one block with room for its
/// snapshot: cls->columns.size() Values after it (null, until the first snapshot).
template <class T, class... Args>
Instance<T>* make_instance(Args&&... args) {
  constexpr std::size_t head = (sizeof(Instance<T>) + alignof(Value) - 1) / alignof(Value) * alignof(Value);
  static_assert(alignof(Instance<T>) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  std::size_t columns = retort::class_info<T>().columns.size();
  void* block = ::operator new(head + columns * sizeof(Value));
  Instance<T>* i;
  try {
    i = ::new (block) Instance<T>(std::forward<Args>(args)...);
  } catch (...) {
    ::operator delete(block);
    throw;
  }
  i->committed = reinterpret_cast<Value*>(static_cast<char*>(block) + head);
  for (std::size_t c = 0; c < columns; ++c) ::new (i->committed + c) Value();
  return i;
}

/// The last Ptr to an object went away.
void release(InstanceBase* instance) noexcept;
/// Access that is not the fast path: reload an expired object, note it as touched.
void on_access(InstanceBase* instance);
[[noreturn]] void null_access();

}  // namespace detail

template <class T>
class Ptr {
 public:
  Ptr() = default;
  Ptr(std::nullptr_t) {}
  explicit Ptr(detail::InstanceBase* instance) : i_(instance) {
    if (i_) ++i_->refs;
  }
  Ptr(const Ptr& o) : Ptr(o.i_) {}
  Ptr(Ptr&& o) noexcept : i_(o.i_) { o.i_ = nullptr; }
  Ptr& operator=(Ptr o) noexcept {
    std::swap(i_, o.i_);
    return *this;
  }
  ~Ptr() {
    if (i_ && --i_->refs == 0) detail::release(i_);
  }

  T* operator->() const {
    access();
    return static_cast<T*>(i_->object);
  }
  T& operator*() const {
    access();
    return *static_cast<T*>(i_->object);
  }
  /// Reads without noting the object as possibly changed (still reloads it if expired).
  const T& read() const {
    if (!i_) detail::null_access();
    if (i_->flags & detail::flag_expired) detail::on_access(i_);
    return *static_cast<const T*>(i_->object);
  }

  /// The object as JSON (include <retort/orm/to_dict.hpp>); a model's own
  /// `to_dict() const` member is used when it has one, as the seed writes it.
  template <class J = nlohmann::json>
  J to_dict(const ToDictOptions& options = {}) const {
    return detail::ToDict<J, T>::run(*this, options);
  }

  explicit operator bool() const noexcept { return i_ != nullptr; }
  bool operator==(const Ptr& o) const noexcept { return i_ == o.i_; }
  ObjectState state() const noexcept { return i_ ? i_->state : ObjectState::transient; }
  detail::InstanceBase* instance() const noexcept { return i_; }

 private:
  void access() const {
    if (!i_) detail::null_access();
    if (i_->flags != detail::flag_touched) detail::on_access(i_);
  }
  detail::InstanceBase* i_ = nullptr;
};

}  // namespace retort
