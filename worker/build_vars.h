// BuildVars: the variables BuildKit's Dockerfile frontend keeps for one
// stage while it dispatches instructions. RUN's environment is the image's
// Env, then every ENV and every ARG that has a value, each replacing an
// earlier entry of that name; so an ARG declared after an ENV of the same
// name wins inside RUN (Docker 20.10 does this, against the Dockerfile
// reference). RUN's history text lists the stage's declared ARGs.
#ifndef FARM_WORKER_BUILD_VARS_H_
#define FARM_WORKER_BUILD_VARS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/ordered_env.h"

namespace farm::worker {

// Docker's PATH for Linux containers, used when an image sets none.
inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

class BuildVars {
 public:
  // `build_args`: the --build-arg values. `meta_args`: the values of the
  // global ARGs (before the first FROM) and the platform ARGs, which an ARG
  // without a default inherits.
  BuildVars(std::map<std::string, std::string> build_args,
            std::map<std::string, std::string> meta_args)
      : build_args_(std::move(build_args)), meta_args_(std::move(meta_args)) {}

  // Starts from an image's Env ("K=V" strings).
  void InheritEnv(const std::vector<std::string>& env);
  // ENV K=V.
  void SetEnv(const std::string& key, const std::string& value);
  // ARG name[=default] with the default already expanded. The value is the
  // build arg, else the default, else the global ARG of that name; an ARG
  // without any value is declared but reaches no environment.
  void DeclareArg(const std::string& name,
                  const std::optional<std::string>& default_value);

  // The environment of a RUN process, "K=V" in order, with Docker's PATH
  // when none is set and the proxy build args (HTTP_PROXY, ...) that no
  // variable of the stage shadows.
  std::vector<std::string> Environment() const;
  // The `|N K=V ...` words BuildKit puts before a RUN command in history:
  // every declared ARG in declaration order (twice if declared twice), each
  // with its value in the environment, "" when it has none. Empty when the
  // stage declared no ARG.
  std::vector<std::string> HistoryArgs() const;

 private:
  std::optional<std::string> Lookup(const std::string& key) const;

  std::map<std::string, std::string> build_args_;
  std::map<std::string, std::string> meta_args_;
  planner::OrderedEnv env_;
  std::vector<std::string> declared_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_BUILD_VARS_H_
