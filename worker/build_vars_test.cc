#include "worker/build_vars.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(BuildVarsTest, ArgValueComesFromBuildArgThenDefaultThenGlobal) {
  BuildVars vars({{"A", "cli"}}, {{"G", "global"}, {"A", "global-a"}});
  vars.DeclareArg("A", "default");
  vars.DeclareArg("B", "b-default");
  vars.DeclareArg("G", std::nullopt);
  vars.DeclareArg("NONE", std::nullopt);
  EXPECT_THAT(vars.Environment(),
              ElementsAre("A=cli", "B=b-default", "G=global",
                          std::string("PATH=") + kDefaultPath));
  EXPECT_THAT(vars.HistoryArgs(),
              ElementsAre("|4", "A=cli", "B=b-default", "G=global", "NONE="));
}

TEST(BuildVarsTest, LaterArgOverridesEnvInRunButEnvShadowsEarlierArg) {
  // tests/compat/cases/env-shadows-arg with --build-arg X=from-cli.
  BuildVars vars({{"X", "from-cli"}}, {});
  vars.InheritEnv({"PATH=/bin"});
  vars.DeclareArg("X", "from-arg");
  vars.SetEnv("X", "from-env");
  EXPECT_THAT(vars.Environment(), ElementsAre("PATH=/bin", "X=from-env"));
  EXPECT_THAT(vars.HistoryArgs(), ElementsAre("|1", "X=from-env"));
  vars.DeclareArg("X", "second");
  EXPECT_THAT(vars.Environment(), ElementsAre("PATH=/bin", "X=from-cli"));
  EXPECT_THAT(vars.HistoryArgs(),
              ElementsAre("|2", "X=from-cli", "X=from-cli"));
}

TEST(BuildVarsTest, ProxyArgsReachRunWithoutHistory) {
  BuildVars vars({{"HTTP_PROXY", "http://proxy:3128"}, {"OTHER", "x"}}, {});
  vars.InheritEnv({"PATH=/bin", "EMPTY"});
  EXPECT_THAT(
      vars.Environment(),
      ElementsAre("PATH=/bin", "EMPTY=", "HTTP_PROXY=http://proxy:3128"));
  EXPECT_THAT(vars.HistoryArgs(), IsEmpty());
  vars.SetEnv("HTTP_PROXY", "set-by-env");
  EXPECT_THAT(vars.Environment(),
              ElementsAre("PATH=/bin", "EMPTY=", "HTTP_PROXY=set-by-env"));
}

}  // namespace
}  // namespace farm::worker
