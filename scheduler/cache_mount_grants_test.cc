#include "scheduler/cache_mount_grants.h"

#include "gtest/gtest.h"

namespace farm::scheduler {
namespace {

TEST(CacheMountGrantsTest, AGrantNamesItsTenantUntilItsWorkerLeaves) {
  CacheMountGrants grants;
  const std::string a = grants.GrantFor("w1", "team-a");
  const std::string b = grants.GrantFor("w1", "team-b");
  const std::string a2 = grants.GrantFor("w2", "team-a");
  EXPECT_EQ(grants.GrantFor("w1", "team-a"), a);  // one per worker and tenant
  EXPECT_NE(a, b);
  EXPECT_NE(a, a2);
  EXPECT_GE(a.size(), 32u);
  EXPECT_EQ(*grants.TenantOf(a), "team-a");
  EXPECT_EQ(*grants.TenantOf(b), "team-b");

  grants.Revoke("w1");
  EXPECT_EQ(grants.TenantOf(a).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(grants.TenantOf(b).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*grants.TenantOf(a2), "team-a");
  // Back again, the worker gets a new grant, never the old one.
  EXPECT_NE(grants.GrantFor("w1", "team-a"), a);
}

TEST(CacheMountGrantsTest, UnknownTokensAreRefused) {
  CacheMountGrants grants;
  grants.GrantFor("w1", "team-a");
  for (const std::string token : {"", "team-a", "w1", "00000000"}) {
    EXPECT_EQ(grants.TenantOf(token).status().code(),
              absl::StatusCode::kPermissionDenied)
        << token;
  }
}

}  // namespace
}  // namespace farm::scheduler
