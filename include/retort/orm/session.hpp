// Session: the unit of work and identity map, with SQLAlchemy's semantics.
//
// States of a session's transaction:
//
//   idle --first statement--> active --commit()/rollback()--> idle
//                               |
//                               +--flush fails--> failed --rollback()--> idle
//
// In `failed`, the database transaction has already been rolled back (no
// partial write survives); every call but rollback() and close() raises
// InvalidRequestError until rollback() restores the session: it expunges the
// objects that were pending and expires the persistent ones. On SQLite the
// transaction begins at the first write, so reads before it run in autocommit
// as pysqlite does (with EngineOptions::transaction_mode "immediate", at the
// first statement, holding the write lock); on other dialects it begins at
// the first statement.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retort/core/engine.hpp"
#include "retort/core/sql.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"
#include "retort/orm/query.hpp"

namespace retort {

/// What the N+1 detector does when lazy loads of one relationship repeat
/// across the objects of one query result.
enum class NPlusOne : std::uint8_t { off, log, raise };

struct SessionOptions {
  bool autoflush = true;         ///< flush before each query and lazy load
  bool expire_on_commit = true;  ///< reload objects on their next access after commit
  /// Beyond SQLAlchemy: flag the N+1 pattern (see NPlusOne).
  NPlusOne n_plus_one = NPlusOne::off;
  /// Where NPlusOne::log writes (default: standard error).
  std::function<void(const std::string&)> n_plus_one_log;
  /// Engines of the other databases, by bind key (Flask-SQLAlchemy's
  /// SQLALCHEMY_BINDS): a model mapped with `bind_key("auth")` is read and
  /// written through `binds.at("auth")`; the others through the session's engine.
  std::map<std::string, Engine> binds;
};

namespace detail {
class SessionImpl;
}

/// A unit of work over one Engine.
///
/// **Example**:
///   Session s(engine);
///   auto ann = s.add(Owner{.name = "Ann"});
///   s.commit();                  // INSERT, COMMIT; ann->id is now set
///   auto same = s.get<Owner>(ann->id);   // the same object, no SQL
class Session {
 public:
  explicit Session(Engine engine, SessionOptions options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  /// Rolls back what was not committed and detaches every object.
  ~Session();

  /// Makes `obj` pending; it is inserted at the next flush.
  template <class T>
  Ptr<T> add(T obj) {
    (void)detail::enrolled<T>;
    auto* i = detail::make_instance<T>(std::move(obj));
    Ptr<T> p(i);
    add_instance(i);
    return p;
  }
  /// Adds an object again (one that was expunged, or is already here: no-op).
  template <class T>
  void add(const Ptr<T>& p) {
    add_instance(p.instance());
  }
  template <class T>
  std::vector<Ptr<T>> add_all(std::vector<T> objects) {
    std::vector<Ptr<T>> out;
    out.reserve(objects.size());
    for (auto& o : objects) out.push_back(add(std::move(o)));
    return out;
  }
  /// Marks a persistent object for deletion at the next flush (a pending one is just dropped).
  template <class T>
  void delete_(const Ptr<T>& p) {
    delete_instance(p.instance());
  }

  /// The object with this primary key: from the identity map without SQL when
  /// loaded, else `SELECT ... WHERE pk = ?`; a null Ptr when there is no row.
  template <class T>
  Ptr<T> get(const Value& primary_key) {
    return Ptr<T>(get_instance(class_info<T>(), {primary_key}));
  }
  /// For a composite primary key, the values in key column order.
  template <class T>
  Ptr<T> get(const std::vector<Value>& primary_key) {
    return Ptr<T>(get_instance(class_info<T>(), primary_key));
  }

  /// A query for T: `session.query<Owner>().filter(col(&Owner::name) == "Ann").all()`.
  template <class T>
  Query<T> query() {
    return Query<T>(detail::QueryCore(impl(), class_info<T>()));
  }

  /// Copies `obj`'s column values onto the object with its primary key (loaded
  /// or fetched), or adds it as new when there is none; returns that object.
  template <class T>
  Ptr<T> merge(const T& obj) {
    return Ptr<T>(merge_instance(class_info<T>(), &obj));
  }

  /// Writes pending changes (INSERT, UPDATE, DELETE) in dependency order.
  void flush();
  /// flush(), then COMMIT; with expire_on_commit, objects reload on next access.
  void commit();
  /// ROLLBACK; pending objects are expunged, persistent ones expired.
  void rollback();
  /// Rolls back and detaches every object; the session can be used again.
  void close();

  template <class T>
  void expire(const Ptr<T>& p) {
    expire_instance(p.instance());
  }
  void expire_all();
  /// Reloads the object's columns now.
  template <class T>
  void refresh(const Ptr<T>& p) {
    refresh_instance(p.instance());
  }
  /// Detaches the object from this session.
  template <class T>
  void expunge(const Ptr<T>& p) {
    expunge_instance(p.instance());
  }

  /// Whether the object was changed since it was loaded or flushed.
  template <class T>
  bool is_modified(const Ptr<T>& p) const {
    return modified(p.instance());
  }

  /// Runs a SELECT in the session (after autoflush), as `db.session.execute(select(...))`:
  /// on a read replica while the transaction has not written (EngineOptions::replicas),
  /// else on the primary. `bind_key` picks the database ("" the session's engine).
  Result execute(const Select& stmt, const Params& params = {}, std::string_view bind_key = "");
  /// The connection the session's transaction runs on (begins it if needed).
  Connection& connection();
  Engine& engine();
  /// Objects in the identity map.
  std::size_t size() const;

  detail::SessionImpl* impl() const { return impl_.get(); }

 private:
  void add_instance(detail::InstanceBase* i);
  void delete_instance(detail::InstanceBase* i);
  detail::InstanceBase* get_instance(const detail::ClassInfo& cls, const std::vector<Value>& key);
  detail::InstanceBase* merge_instance(const detail::ClassInfo& cls, const void* obj);
  void expire_instance(detail::InstanceBase* i);
  void refresh_instance(detail::InstanceBase* i);
  void expunge_instance(detail::InstanceBase* i);
  bool modified(const detail::InstanceBase* i) const;

  std::unique_ptr<detail::SessionImpl> impl_;
};

}  // namespace retort
