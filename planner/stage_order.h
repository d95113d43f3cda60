// Graph algorithms over the stages of one Dockerfile, by index: which stages
// a target needs, whether the references form a cycle, and an execution
// order in which every stage comes after the stages it reads from.
#ifndef FARM_PLANNER_STAGE_ORDER_H_
#define FARM_PLANNER_STAGE_ORDER_H_

#include <optional>
#include <vector>

namespace farm::planner {

// Stage `stage` is needed because of the instruction at `line`.
struct Dependency {
  int stage = 0;
  int line = 0;
};

// deps[i] lists what stage i needs (its base stage and its --from sources).
using DependencyLists = std::vector<std::vector<Dependency>>;

// A dependency that closes a cycle: stage `stage` reaches itself again
// through the edge at `line`.
struct Cycle {
  int stage = 0;
  int line = 0;
};

// The first cycle found over all stages (Docker checks unused stages too),
// or nullopt.
std::optional<Cycle> FindCycle(const DependencyLists& deps);

// The stages `target` needs, itself included, as an ascending index list.
std::vector<int> Reachable(const DependencyLists& deps, int target);

// `stages` (acyclic) ordered so that dependencies come first; among stages
// that are ready at the same time, the lower index goes first.
std::vector<int> ExecutionOrder(const DependencyLists& deps,
                                const std::vector<int>& stages);

}  // namespace farm::planner

#endif  // FARM_PLANNER_STAGE_ORDER_H_
