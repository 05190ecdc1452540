// Mapping plain structs to tables.
//
// A model is a plain struct; `Mapping<T>::map(Mapper<T>&)` says how it maps.
// The mapping runs once, when the registry is configured, into a runtime
// ClassInfo: erased member accessors, the Table, the primary key. Loading,
// flushing, dirty checking and to_dict then work on ClassInfo in .cpp files,
// compiled once rather than once per model.
//
// **Example**:
//   template <> struct retort::Mapping<Owner> {
//     static void map(retort::Mapper<Owner>& m) {
//       m.column(&Owner::id, "id").primary_key();
//       m.column(&Owner::name, "name", retort::String(50));
//     }
//   };
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/value.hpp"

namespace retort {

/// Specialise for each model: `static void map(Mapper<T>& m)`.
template <class T>
struct Mapping;

template <class T>
class Mapper;
class RelationshipBuilder;

namespace detail {

struct InstanceBase;
struct RelationshipSpec;
struct RelationshipInfo;

/// The class of a pointer to member: `Owner` for `Collection<Pet> Owner::*`.
template <class P>
struct member_class;
template <class T, class M>
struct member_class<M T::*> {
  using type = T;
};

template <class M>
struct optional_value {
  using type = M;
  static constexpr bool nullable = false;
};
template <class M>
struct optional_value<std::optional<M>> {
  using type = M;
  static constexpr bool nullable = true;
};

/// Reads and writes one mapped member of an object whose type is erased.
class MemberAccess {
 public:
  virtual ~MemberAccess() = default;
  virtual Value get(const void* obj) const = 0;
  /// Assigns; ArgumentError when the value cannot become the member's type.
  virtual void set(void* obj, const Value& v) const = 0;
  /// Assigns column `i` of `row` (the hot path of loading).
  virtual void load(void* obj, const Row& row, int i) const = 0;
  /// Whether the member currently holds `v` (dirty checking).
  virtual bool equals(const void* obj, const Value& v) const = 0;
  /// Whether an autoincrement key is still to be generated: 0 or nullopt.
  virtual bool is_unset(const void* obj) const = 0;
};

template <class T, class M>
class MemberAccessImpl final : public MemberAccess {
 public:
  explicit MemberAccessImpl(M T::*member) : member_(member) {}
  Value get(const void* obj) const override { return ValueTraits<M>::to_value(ref(obj)); }
  void set(void* obj, const Value& v) const override {
    using V = typename optional_value<M>::type;
    if constexpr (!optional_value<M>::nullable) {
      // NULL into a plain member (a column made nullable by hand) reads as its default.
      if (v.is_null()) {
        static_cast<T*>(obj)->*member_ = M{};
        return;
      }
    }
    static_cast<T*>(obj)->*member_ = ValueTraits<M>::from_value(v);
    (void)sizeof(V);
  }
  void load(void* obj, const Row& row, int i) const override {
    using V = typename optional_value<M>::type;
    M& m = static_cast<T*>(obj)->*member_;
    // NULL into a plain member reads as its default.
    if constexpr (std::is_same_v<V, std::string>) {
      auto text = row.text_or_null(i);
      if (!text) {
        m = M{};
      } else if constexpr (optional_value<M>::nullable) {  // into the member's own buffer: no temporary
        if (m) m->assign(*text);
        else m.emplace(*text);
      } else {
        m.assign(*text);
      }
    } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
      auto v = row.int_or_null(i);
      if (v) m = static_cast<V>(*v);
      else m = M{};
    } else {
      if (row.is_null(i)) m = M{};
      else m = row.value_at<V>(i);
    }
  }
  bool equals(const void* obj, const Value& v) const override {
    const M& m = ref(obj);
    if constexpr (std::is_same_v<M, std::string>) {
      auto* s = std::get_if<std::string>(&v.storage());
      return s && *s == m;
    } else if constexpr (std::is_integral_v<M> && !std::is_same_v<M, bool>) {
      auto* i = std::get_if<std::int64_t>(&v.storage());
      return i && *i == static_cast<std::int64_t>(m);
    } else {
      return ValueTraits<M>::to_value(m) == v;
    }
  }
  bool is_unset(const void* obj) const override {
    const M& m = ref(obj);
    if constexpr (optional_value<M>::nullable) return !m.has_value();
    else if constexpr (std::is_arithmetic_v<M>) return m == M{};
    else return false;
  }

 private:
  const M& ref(const void* obj) const { return static_cast<const T*>(obj)->*member_; }
  M T::*member_;
};

/// The bytes of a member pointer, to find a column from `&T::member` at run time.
using MemberKey = std::array<unsigned char, 16>;
template <class T, class M>
MemberKey member_key(M T::*member) {
  static_assert(sizeof(member) <= sizeof(MemberKey));
  MemberKey key{};
  std::memcpy(key.data(), &member, sizeof(member));
  return key;
}

/// One mapped column of a model.
struct ColumnInfo {
  Column column;  ///< the declaration (core builder): type, key, constraints
  std::unique_ptr<MemberAccess> access;
  MemberKey member{};
  const std::type_info* member_type = nullptr;
  const ColumnSpec& spec() const { return column.spec(); }
};

struct ClassStatements;  // compiled SQL per dialect, in session.cpp

/// Everything the ORM knows about one model, built once from its Mapping.
struct ClassInfo {
  std::type_index type;
  std::string type_name;  ///< "Owner" (demangled, namespaces dropped)
  std::string table_name;
  std::string bind_key;  ///< the database it lives in ("" the default), as Flask-SQLAlchemy's __bind_key__
  std::vector<ColumnInfo> columns;
  std::vector<TableItem> constraints;  ///< table-level ones given to Mapper::constraint
  std::optional<Table> table;          ///< built when the mapping is finished
  std::vector<std::size_t> primary_key;  ///< indexes into columns
  int autoincrement = -1;                ///< the column the database generates, or -1
  InstanceBase* (*create)() = nullptr;   ///< a new default-constructed instance
  std::shared_ptr<ClassStatements> statements;
  /// As declared by Mapper::relationship, then resolved when the registry configures.
  std::vector<std::unique_ptr<RelationshipSpec>> relationship_specs;
  /// Declared ones first, then those backrefs of other models created here.
  std::vector<std::unique_ptr<RelationshipInfo>> relationships;
  bool related = false;         ///< has relationships: objects bind their states on creation
  bool relationships_configured = false;
  std::size_t backref_slots = 0;  ///< states of backref-created relationships per object
  std::string config_error;     ///< why configuring its relationships failed (thrown on use)

  explicit ClassInfo(std::type_index t);
  ~ClassInfo();
  /// The column mapped to this member, or MappingError naming the model.
  std::size_t column_of(const MemberKey& key, const std::type_info& type) const;
  /// The column of this name, or ArgumentError listing the model's columns.
  std::size_t column_named(std::string_view name) const;
};

/// The table name Flask-SQLAlchemy derives from a class name: OrderItem → order_item.
std::string default_table_name(std::string_view class_name);
/// `Owner` from a mangled type name like `N3app5OwnerE` (namespaces dropped).
std::string demangled_class_name(const char* mangled);

using ClassBuilder = void (*)(ClassInfo&);
/// Records a model so that create_all, the registry's metadata and autogenerate see it; cheap.
bool enroll(std::type_index type, ClassBuilder build);
/// The configured ClassInfo of a model, building it on first use.
const ClassInfo& class_info(std::type_index type, ClassBuilder build);
/// MappingError naming the model and column when a foreign key refers to a
/// table that is neither in `metadata`, the model's own, nor another bind's.
void check_foreign_keys(const ClassInfo& cls, const MetaData& metadata);

template <class T>
void build_class(ClassInfo& info);

/// Instantiated for every model the program uses (through Ptr, Session, Query,
/// col): records it before main so the registry's MetaData is complete.
template <class T>
inline const bool enrolled = enroll(typeid(T), &build_class<T>);

}  // namespace detail

/// Declares how a model's members map to columns.
template <class T>
class Mapper {
 public:
  explicit Mapper(detail::ClassInfo& info) : info_(info) {}

  /// The table's name; default: the struct's name in snake_case (OrderItem → order_item).
  Mapper& table(std::string name) {
    info_.table_name = std::move(name);
    return *this;
  }

  /// The database the model lives in, as Flask-SQLAlchemy's `__bind_key__`:
  /// sessions send its statements to the engine of that bind (SessionOptions::binds),
  /// and `mapped_metadata(key)` holds its table. Default: "" (the session's engine).
  Mapper& bind_key(std::string key) {
    info_.bind_key = std::move(key);
    return *this;
  }

  /// Maps `member` to column `name`; the type follows the member's C++ type
  /// (int → Integer, std::string → String, std::optional<X> → nullable X).
  template <class M>
  Column& column(M T::*member, std::string name) {
    return column(member, std::move(name), ValueTraits<M>::sql_type());
  }
  template <class M>
  Column& column(M T::*member, std::string name, SqlType type) {
    static_assert(Storable<M>,
                  "retort cannot store this member type: for std::chrono members include "
                  "<retort/core/datetime.hpp>, for nlohmann::json include <retort/core/json.hpp>");
    detail::ColumnInfo c{Column(std::move(name), std::move(type)), std::make_unique<detail::MemberAccessImpl<T, M>>(member),
                         detail::member_key(member), &typeid(M)};
    c.column.nullable(detail::optional_value<M>::nullable);
    info_.columns.push_back(std::move(c));
    return info_.columns.back().column;
  }

  /// A relationship held in `member`: Collection<U> (one-to-many, many-to-many),
  /// Ref<U> (many-to-one, one-to-one) or Dynamic<U>. Defined in relationship.hpp.
  template <class M>
  RelationshipBuilder relationship(M T::*member, std::string name);

  /// A table-level constraint or index: UniqueConstraint, CheckConstraint, Index, ...
  Mapper& constraint(TableItem item) {
    info_.constraints.push_back(std::move(item));
    return *this;
  }

 private:
  detail::ClassInfo& info_;
};

namespace detail {

struct InstanceBase;
template <class T>
struct Instance;
template <class T, class... Args>
Instance<T>* make_instance(Args&&... args);

template <class T>
void build_class(ClassInfo& info) {
  info.type_name = demangled_class_name(typeid(T).name());
  info.create = []() -> InstanceBase* { return make_instance<T>(); };
  Mapper<T> m(info);
  Mapping<T>::map(m);
}

}  // namespace detail

/// The configured description of model T.
template <class T>
const detail::ClassInfo& class_info() {
  (void)detail::enrolled<T>;
  // Configured once; a mapping error is thrown again at every call until fixed.
  static const detail::ClassInfo& info = detail::class_info(typeid(T), &detail::build_class<T>);
  return info;
}

/// Enrolls models the program does not otherwise name (a model only used
/// through migrations, say), so that mapped_metadata() sees them.
template <class... T>
void register_models() {
  (detail::enroll(typeid(T), &detail::build_class<T>), ...);
}

/// The models the program has enrolled for one bind ("" the default: those
/// without a bind_key), configured: their tables form the metadata that
/// create_all creates and autogenerate compares for that database.
const MetaData& mapped_metadata(std::string_view bind_key = "");
/// The bind keys the enrolled models use, "" first when a model has none.
std::vector<std::string> mapped_bind_keys();

}  // namespace retort
