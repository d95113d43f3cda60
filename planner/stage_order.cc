#include "planner/stage_order.h"

#include <functional>
#include <queue>
#include <set>

namespace farm::planner {

namespace {
enum class Mark { kNew, kActive, kDone };
}  // namespace

std::optional<Cycle> FindCycle(const DependencyLists& deps) {
  std::vector<Mark> marks(deps.size(), Mark::kNew);
  std::optional<Cycle> found;
  // Depth-first search; an edge into an active stage closes a cycle.
  std::function<void(int)> visit = [&](int stage) {
    marks[stage] = Mark::kActive;
    for (const Dependency& dep : deps[stage]) {
      if (found) return;
      if (marks[dep.stage] == Mark::kActive) {
        found = Cycle{dep.stage, dep.line};
        return;
      }
      if (marks[dep.stage] == Mark::kNew) visit(dep.stage);
    }
    marks[stage] = Mark::kDone;
  };
  for (int stage = 0; stage < static_cast<int>(deps.size()) && !found;
       ++stage) {
    if (marks[stage] == Mark::kNew) visit(stage);
  }
  return found;
}

std::vector<int> Reachable(const DependencyLists& deps, int target) {
  std::vector<bool> seen(deps.size(), false);
  std::vector<int> stack = {target};
  seen[target] = true;
  while (!stack.empty()) {
    int stage = stack.back();
    stack.pop_back();
    for (const Dependency& dep : deps[stage]) {
      if (!seen[dep.stage]) {
        seen[dep.stage] = true;
        stack.push_back(dep.stage);
      }
    }
  }
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(seen.size()); ++i) {
    if (seen[i]) out.push_back(i);
  }
  return out;
}

std::vector<int> ExecutionOrder(const DependencyLists& deps,
                                const std::vector<int>& stages) {
  std::set<int> wanted(stages.begin(), stages.end());
  std::vector<int> missing(deps.size(), 0);
  std::vector<std::vector<int>> dependants(deps.size());
  for (int stage : stages) {
    std::set<int> distinct;
    for (const Dependency& dep : deps[stage]) {
      if (wanted.count(dep.stage)) distinct.insert(dep.stage);
    }
    missing[stage] = distinct.size();
    for (int d : distinct) dependants[d].push_back(stage);
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int stage : stages) {
    if (missing[stage] == 0) ready.push(stage);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    int stage = ready.top();
    ready.pop();
    order.push_back(stage);
    for (int next : dependants[stage]) {
      if (--missing[next] == 0) ready.push(next);
    }
  }
  return order;
}

}  // namespace farm::planner
