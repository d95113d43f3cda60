#include "auth/identity.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::HasSubstr;

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kClient, Role::kWorker, Role::kAdmin}) {
    absl::StatusOr<Role> parsed = ParseRole(RoleName(role));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(RoleName(Role::kClient), "client");
  EXPECT_EQ(RoleName(Role::kWorker), "worker");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
}

TEST(RoleTest, UnknownNamesAreInvalidArguments) {
  for (absl::string_view name : {"", "Admin", "root", "admin ", "clients"}) {
    absl::StatusOr<Role> parsed = ParseRole(name);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << name;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("expected client, worker or admin"));
  }
}

TEST(TenantTest, AcceptsDirectoryFriendlyNames) {
  EXPECT_TRUE(IsValidTenant(kDefaultTenant));
  EXPECT_TRUE(IsValidTenant("a"));
  EXPECT_TRUE(IsValidTenant("team-a"));
  EXPECT_TRUE(IsValidTenant("Team_B.prod-2"));
  EXPECT_TRUE(IsValidTenant("0"));
  EXPECT_TRUE(IsValidTenant(std::string(63, 'x')));
}

TEST(TenantTest, RefusesNamesThatAreNotSafeDirectoryNames) {
  EXPECT_FALSE(IsValidTenant(""));
  EXPECT_FALSE(IsValidTenant(std::string(64, 'x')));
  EXPECT_FALSE(IsValidTenant("."));
  EXPECT_FALSE(IsValidTenant(".."));
  EXPECT_FALSE(IsValidTenant(".hidden"));
  EXPECT_FALSE(IsValidTenant("-flag"));
  EXPECT_FALSE(IsValidTenant("_x"));
  EXPECT_FALSE(IsValidTenant("a/b"));
  EXPECT_FALSE(IsValidTenant("a b"));
  EXPECT_FALSE(IsValidTenant(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidTenant("caf\xc3\xa9"));
}

}  // namespace
}  // namespace farm::auth
