// to_dict and from_dict: models as JSON, for APIs.
//
// Encodings: dates and times in ISO 8601 ("2024-02-29T13:05:00.000250"),
// decimals as strings without loss, bytes as base64, JSON columns as JSON,
// NULL as null. from_dict assigns only mapped, writable columns and rejects
// unknown fields and values of the wrong type with a ValidationError naming
// every offending field. Opt-in, because nlohmann/json.hpp is heavy.
#pragma once

#include <nlohmann/json.hpp>

#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"
#include "retort/orm/to_json.hpp"

namespace retort {

namespace detail {

nlohmann::json to_dict(const InstanceBase& instance, const ToDictOptions& options);
/// A JSON array of the objects; the relationships `include` names are loaded
/// first for all of them at once (selectin), not one object at a time.
nlohmann::json to_dict_all(const std::vector<InstanceBase*>& instances, const ToDictOptions& options);
/// Assigns the fields of `data` to the object at `object`; ValidationError on bad input.
void assign_from_dict(const ClassInfo& cls, void* object, const nlohmann::json& data, bool partial);

template <class J, class T>
struct ToDict {
  static J run(const Ptr<T>& p, const ToDictOptions& options) {
    if constexpr (requires(const T& t) { t.to_dict(); }) {
      return p.read().to_dict();
    } else {
      if (!p) null_access();
      p.read();  // reload if expired
      return to_dict(*p.instance(), options);
    }
  }
};

}  // namespace detail

/// The object as JSON: `to_dict(owner, {.exclude = {"password"}})`.
template <class T>
nlohmann::json to_dict(const Ptr<T>& p, const ToDictOptions& options = {}) {
  return p.to_dict(options);
}

/// Many objects as a JSON array: `to_dict(owners, {.include = {"pets"}})`
/// loads every owner's pets with one statement per 500 owners, then writes them.
template <class T>
nlohmann::json to_dict(const std::vector<Ptr<T>>& objects, const ToDictOptions& options = {}) {
  return detail::to_dict_all(detail::read_all(objects), options);
}

/// A new (transient) T from JSON, as a POST handler needs: every field must be
/// a mapped, writable column of the right type. Missing fields keep T's defaults.
template <class T>
T from_dict(const nlohmann::json& data) {
  T obj{};
  detail::assign_from_dict(class_info<T>(), &obj, data, false);
  return obj;
}

/// Assigns the given fields to a managed object (a PATCH): the change is
/// written at the next flush.
template <class T>
void update_from_dict(const Ptr<T>& p, const nlohmann::json& data) {
  detail::assign_from_dict(class_info<T>(), &*p, data, true);
}

}  // namespace retort
