// For tests of the scheduler's state machines: the actions of one kind
// among those an event returned.
#ifndef FARM_SCHEDULER_ACTIONS_TESTING_H_
#define FARM_SCHEDULER_ACTIONS_TESTING_H_

#include <variant>
#include <vector>

namespace farm::scheduler::testing {

// Every `T` in `actions` (a vector of std::variant), in order.
template <typename T, typename Action>
std::vector<T> Only(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const T* t = std::get_if<T>(&action)) out.push_back(*t);
  }
  return out;
}

}  // namespace farm::scheduler::testing

#endif  // FARM_SCHEDULER_ACTIONS_TESTING_H_
