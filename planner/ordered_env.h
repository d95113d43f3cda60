// OrderedEnv: an environment as an image config holds it: "K=V" entries in
// the order they were first set, a later value replacing an earlier one in
// place. The planner's variable scope and the worker's RUN environment both
// keep one.
#ifndef FARM_PLANNER_ORDERED_ENV_H_
#define FARM_PLANNER_ORDERED_ENV_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::planner {

class OrderedEnv {
 public:
  // Adds an image's Env ("K=V"; a bare "K" is K set to "").
  void Inherit(const std::vector<std::string>& env);
  void Set(const std::string& name, const std::string& value);
  std::optional<std::string> Get(absl::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const {
    return entries_;
  }
  // "K=V" strings, in order.
  std::vector<std::string> List() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace farm::planner

#endif  // FARM_PLANNER_ORDERED_ENV_H_
