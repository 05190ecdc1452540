// Loading plans: what a query (or a lazy load) loads below the objects it
// returns, from loader options and the relationships' `lazy=` settings.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "orm/relationships.hpp"
#include "orm/session_impl.hpp"

namespace retort::detail {

using LoadPath = std::vector<std::pair<std::string, Lazy>>;

struct PlanItem;
struct Plan {
  std::vector<PlanItem> items;
};
struct PlanItem {
  const RelationshipInfo* rel;
  Lazy strategy;
  bool explicit_;  ///< set by a query option, not the relationship's own setting
  Plan children;   ///< what to load below the related objects
};

/// The plan for objects of `cls` reached through `from` (null at the top);
/// ArgumentError for an option naming no relationship.
Plan make_plan(const ClassInfo& cls, const std::vector<LoadPath>& paths, const RelationshipInfo* from, int depth);
/// Runs a query for `cls` objects with the plan's joins, then the rest of the plan.
std::vector<InstanceBase*> run_query(SessionImpl& s, const ClassInfo& cls, const Select& stmt, bool limited,
                                     const Plan& plan, const std::vector<const RelationshipInfo*>& joins);
/// The plan's eager loads for objects already loaded (by a lazy load or get()).
void load_below(SessionImpl& s, const std::vector<InstanceBase*>& objects, const Plan& plan);

/// Query::yield_per's cursor: one SELECT whose rows become objects a batch at
/// a time, each batch's eager loads (selectin) run before it is handed out.
class StreamLoader {
 public:
  StreamLoader(SessionImpl& s, const ClassInfo& cls, const Select& stmt, Plan plan, std::size_t batch);
  ~StreamLoader();
  StreamLoader(const StreamLoader&) = delete;
  StreamLoader& operator=(const StreamLoader&) = delete;
  /// Up to `batch` more objects; empty once the rows are read (the statement is then closed).
  std::vector<InstanceBase*> next_batch();
  /// The session's transaction ends (`by` names how): the statement is closed, the stream over.
  void end(const char* by) noexcept;

 private:
  SessionImpl* s_;  ///< null once ended
  const ClassInfo& cls_;
  Plan plan_;
  std::size_t batch_;
  std::uint32_t origin_;
  Result result_;
  const char* ended_by_ = nullptr;
};

}  // namespace retort::detail
