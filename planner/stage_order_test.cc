#include "planner/stage_order.h"

#include "gtest/gtest.h"

namespace farm::planner {
namespace {

TEST(StageOrderTest, FindsNoCycleInADag) {
  DependencyLists deps = {{}, {{0, 2}}, {{0, 3}}, {{1, 4}, {2, 5}}};
  EXPECT_FALSE(FindCycle(deps).has_value());
  EXPECT_EQ(ExecutionOrder(deps, {0, 1, 2, 3}),
            (std::vector<int>{0, 1, 2, 3}));
}

TEST(StageOrderTest, FindsCyclesAnywhere) {
  DependencyLists deps = {{}, {{2, 7}}, {{1, 9}}};
  auto cycle = FindCycle(deps);
  ASSERT_TRUE(cycle.has_value());
  EXPECT_EQ(cycle->stage, 1);
  EXPECT_EQ(cycle->line, 9);
  EXPECT_TRUE(FindCycle({{{0, 1}}}).has_value());
}

TEST(StageOrderTest, ReachableFollowsEdgesOnly) {
  DependencyLists deps = {{}, {{0, 1}}, {}, {{1, 1}}};
  EXPECT_EQ(Reachable(deps, 3), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(Reachable(deps, 2), std::vector<int>{2});
}

TEST(StageOrderTest, OrderPutsDependenciesFirstThenLowerIndex) {
  // 0 needs 3 (a forward reference); 1 and 2 are independent.
  DependencyLists deps = {{{3, 1}}, {}, {}, {}};
  EXPECT_EQ(ExecutionOrder(deps, {0, 1, 2, 3}),
            (std::vector<int>{1, 2, 3, 0}));
}

TEST(StageOrderTest, DuplicateEdgesCountOnce) {
  DependencyLists deps = {{}, {{0, 1}, {0, 2}}};
  EXPECT_EQ(ExecutionOrder(deps, {0, 1}), (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace farm::planner
