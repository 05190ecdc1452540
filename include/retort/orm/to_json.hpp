// to_json: models written straight to JSON text, with no nlohmann::json tree
// in between: the fast path for API responses. Keys follow the mapping's
// column order, then the included relationships (as a Python dict literal
// in a model's to_dict() keeps them); values are encoded as to_dict encodes them.
#pragma once

#include <string>
#include <vector>

#include "retort/orm/ptr.hpp"

namespace retort {

/// How to_json writes text.
enum class JsonStyle {
  compact,  ///< "," and ":" separators, UTF-8 as is (nlohmann's dump())
  python,   ///< Python's json.dumps defaults: ", " and ": ", non-ASCII as \uXXXX: a Flask app's bytes
};

namespace detail {
std::string to_json_all(const std::vector<InstanceBase*>& instances, const ToDictOptions& options, JsonStyle style,
                        bool array);
/// The instances behind `objects`, each reloaded if expired.
template <class T>
std::vector<InstanceBase*> read_all(const std::vector<Ptr<T>>& objects) {
  std::vector<InstanceBase*> instances;
  instances.reserve(objects.size());
  for (auto& p : objects) {
    p.read();  // raises on a null Ptr; reloads if expired
    instances.push_back(p.instance());
  }
  return instances;
}
}  // namespace detail

/// Many objects as a JSON array's text: `to_json(owners, {.include = {"pets"}})`
/// loads every owner's pets with one statement per 500 owners, then writes them.
/// Invalid UTF-8 in a text is written as U+FFFD.
template <class T>
std::string to_json(const std::vector<Ptr<T>>& objects, const ToDictOptions& options = {},
                    JsonStyle style = JsonStyle::compact) {
  return detail::to_json_all(detail::read_all(objects), options, style, true);
}

/// One object as a JSON object's text.
template <class T>
std::string to_json(const Ptr<T>& object, const ToDictOptions& options = {}, JsonStyle style = JsonStyle::compact) {
  return detail::to_json_all(detail::read_all(std::vector<Ptr<T>>{object}), options, style, false);
}

}  // namespace retort
