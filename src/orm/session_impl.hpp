// The session's private state, shared by session.cpp (unit of work) and
// query.cpp (loading rows through the identity map).
#pragma once

#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "orm/int_key_map.hpp"
#include "retort/orm/relationship.hpp"
#include "retort/orm/session.hpp"

namespace retort::detail {

/// One class's objects by primary key: integer keys in a hash map (the usual
/// case, and the hot one), any other key in an ordered map.
struct ClassIdentityMap {
  IntKeyMap by_int;
  std::map<std::vector<Value>, InstanceBase*> by_values;
};

/// `<Owner 1>`: an object as error messages name it.
std::string describe(const InstanceBase& i);

class StreamLoader;

/// One database of the session: the engine of a bind key, the transaction on
/// its primary and, when the engine has read replicas, the read transaction on
/// one of them.
struct BindState {
  BindState(std::string k, Engine e) : key(std::move(k)), engine(std::move(e)) {}
  std::string key;  ///< "" the default
  Engine engine;
  std::optional<Connection> conn;
  std::optional<Transaction> tx;
  bool wrote = false;  ///< the open transaction has written (flushed, or the user's own connection())
  std::optional<Connection> replica;  ///< where this transaction reads, while it has not written
  std::optional<Transaction> replica_tx;
  bool primary_reads = false;  ///< no replica would do for this transaction: read from the primary
  /// The primary's WAL position after this session's last commit that wrote,
  /// and when: reads wait for a replica that has replayed it (read-your-writes).
  std::string written_lsn;
  std::chrono::steady_clock::time_point written_at;
};

class SessionImpl {
 public:
  SessionImpl(Engine e, SessionOptions o);

  SessionOptions options;
  std::vector<BindState> binds;  ///< [0] the session's engine, then SessionOptions::binds
  bool failed = false;  ///< a flush failed; only rollback() and close() are allowed

  std::unordered_map<const ClassInfo*, ClassIdentityMap> identity;
  std::size_t identity_size = 0;
  /// `identity[&cls]`, remembering the last class asked for: rows of one class
  /// come in runs, and the map's entries stay put until identity.clear().
  ClassIdentityMap& identity_of(const ClassInfo& cls) {
    if (&cls != last_identity_cls_) {
      last_identity_ = &identity[&cls];
      last_identity_cls_ = &cls;
    }
    return *last_identity_;
  }
  /// Empties the identity map (and forgets identity_of's last class).
  void clear_identity() {
    identity.clear();
    identity_size = 0;
    last_identity_cls_ = nullptr;
    last_identity_ = nullptr;
  }
  // Lists that hold a reference (refs) to each of their objects:
  std::vector<InstanceBase*> pending;   ///< added, in add order
  std::vector<InstanceBase*> deleted;   ///< to be deleted at the next flush
  std::vector<InstanceBase*> touched;   ///< accessed since the last flush
  std::vector<InstanceBase*> kept;      ///< released by the user while modified
  std::vector<InstanceBase*> inserted;  ///< inserted in this transaction (expunged on rollback)
  std::vector<InstanceBase*> removed;   ///< deleted in this transaction (detached on commit)
  /// Objects whose primary key an UPDATE of this transaction changed, with the
  /// key they had before it (filed under it again on rollback). One reference each.
  std::vector<std::pair<InstanceBase*, std::vector<Value>>> rekeyed;

  /// The bind `cls` lives in (the default for null); ArgumentError when the
  /// session has no engine for its bind key.
  BindState& bind_of(const ClassInfo* cls);
  /// The bind of this key ("" the default); ArgumentError naming the key when there is none.
  BindState& bind_named(std::string_view key, const ClassInfo* for_model = nullptr);
  /// The connection for a bind's statements; begins the transaction when `write`
  /// (or always, where the dialect does not defer BEGIN to the first write).
  /// A read outside a transaction that wrote goes to a read replica when the
  /// engine has one that has replayed this session's last commit.
  Connection& connection(bool write, BindState& b);
  Connection& connection(bool write, const ClassInfo* cls = nullptr) { return connection(write, bind_of(cls)); }
  /// Runs `run(connection)` for a statement that only reads from bind `b`; when
  /// the replica serving it is lost, it is run again on the primary.
  template <class F>
  auto read(BindState& b, F&& run) {
    auto& c = connection(false, b);
    if (!b.replica || &*b.replica != &c) return run(c);
    try {
      return run(c);
    } catch (const OperationalError&) {
      if (!c.invalidated()) throw;
      drop_replica(b);
      return run(connection(false, b));
    }
  }
  template <class F>
  auto read(const ClassInfo* cls, F&& run) {
    return read(bind_of(cls), std::forward<F>(run));
  }
  /// The replica is gone: this transaction reads from the primary from now on.
  void drop_replica(BindState& b) noexcept;
  /// Ends every bind's transactions (COMMIT, or ROLLBACK when !commit) and returns their connections.
  void end_transactions(bool commit);
  void check_usable() const;
  void autoflush();
  void flush(bool full);
  /// Rolls the transaction back after a failed flush; the session needs rollback() next.
  void fail_flush();
  /// Rolls back every bind's transaction, each even when another fails; the first failure.
  std::exception_ptr roll_back_all() noexcept;

  // Identity map
  InstanceBase* find(const ClassInfo& cls, const std::vector<Value>& key) const;
  void insert_identity(InstanceBase* i);
  void erase_identity(InstanceBase* i);
  void erase_key(const ClassInfo& cls, const std::vector<Value>& key);
  std::vector<Value> key_of(const InstanceBase& i) const;
  /// The key the object is filed under: as loaded or last flushed.
  std::vector<Value> identity_key(const InstanceBase& i) const;

  /// The object for this row (columns in mapping order, from `first`): the
  /// loaded one, refreshed if expired, or a new persistent one.
  InstanceBase* load_row(const ClassInfo& cls, const Row& row, int first = 0);
  /// Reloads an object's columns; false when its row is gone.
  bool refresh(InstanceBase* i);
  void snapshot(InstanceBase* i);
  /// Whether any column differs from the snapshot (stops at the first).
  bool modified(const InstanceBase* i) const;
  /// Indexes of the columns whose values differ from the snapshot.
  std::vector<std::size_t> changed_columns(const InstanceBase* i) const;

  void hold(std::vector<InstanceBase*>& list, InstanceBase* i);
  void drop_all(std::vector<InstanceBase*> list);  ///< one reference per entry
  // Relationships (relationships.cpp)
  bool flushing = false;                ///< lazy loads inside a flush do not autoflush
  std::vector<InstanceBase*> rel_dirty;  ///< objects with relationship changes to flush; one reference each
  std::uint32_t next_origin = 0;         ///< numbers query results for the N+1 detector
  std::vector<StreamLoader*> streams;     ///< open yield_per() cursors (loading.cpp)
  /// Closes every open yield_per() cursor before the transaction ends: `by` is "commit()", ...
  void close_streams(const char* by) noexcept;
  std::map<std::pair<const RelationshipInfo*, std::uint32_t>, int> lazy_loads;

  /// Adds a transient or detached object (Session::add, and the save-update cascade).
  void add(InstanceBase* i);
  /// A relationship state of this session now refers to `i`: keep it alive.
  void link(InstanceBase* i);
  void unlink(InstanceBase* i);
  void note_changed(RelState& state);
  /// Empties rel_dirty, releasing its references.
  void drop_rel_dirty();
  /// Unloads every relationship state of `i` (SQLAlchemy's expire of relationships).
  void reset_states(InstanceBase* i);
  /// Unloads the states of every object the session knows, and forgets their changes.
  void reset_all_states();
  /// The same, for a caller that holds a reference on every object of the
  /// identity map, listed in `held_identity` (detach_all, and reset_all_states()).
  void reset_all_states(const std::vector<InstanceBase*>& held_identity);
  /// Loads an unloaded state as its strategy says (lazy load).
  void load_state(RelState& state);
  /// Puts loaded rows into a state: its unflushed changes are applied on top.
  void fill_state(RelState& state, const std::vector<InstanceBase*>& rows);

  /// Gives up the references `rekeyed` holds.
  void forget_rekeyed();
  void detach_all();
  void on_release(InstanceBase* i);  ///< the user's last Ptr went away

 private:
  const ClassInfo* last_identity_cls_ = nullptr;
  ClassIdentityMap* last_identity_ = nullptr;
};

}  // namespace retort::detail
