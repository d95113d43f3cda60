#include "auth/permission.h"

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/build.grpc.pb.h"
#include "proto/cache.grpc.pb.h"
#include "proto/image.grpc.pb.h"
#include "proto/worker.grpc.pb.h"

namespace farm::auth {
namespace {

constexpr Permission kAll[] = {
    Permission::kBuild,     Permission::kImages,     Permission::kWork,
    Permission::kCacheRead, Permission::kCacheWrite, Permission::kAdminister};

TEST(RoleHasTest, EveryRoleMayIdentifyTheFarm) {
  for (Role role : {Role::kClient, Role::kWorker, Role::kAdmin}) {
    EXPECT_TRUE(RoleHas(role, Permission::kIdentify));
  }
}

TEST(RoleHasTest, EachRoleHasExactlyItsPermissions) {
  for (Permission p : kAll) {
    const bool client = p == Permission::kBuild || p == Permission::kImages;
    EXPECT_EQ(RoleHas(Role::kClient, p), client) << static_cast<int>(p);
    EXPECT_EQ(RoleHas(Role::kWorker, p),
              !client && p != Permission::kAdminister)
        << static_cast<int>(p);
    EXPECT_TRUE(RoleHas(Role::kAdmin, p)) << static_cast<int>(p);
  }
}

TEST(AuthorizeTest, AllowsWhatTheRoleHas) {
  EXPECT_TRUE(
      Authorize({"team-a", Role::kClient, "x"}, Permission::kBuild).ok());
  EXPECT_TRUE(
      Authorize({"pool", Role::kWorker, "x"}, Permission::kCacheWrite).ok());
  EXPECT_TRUE(
      Authorize({"ops", Role::kAdmin, "x"}, Permission::kAdminister).ok());
}

TEST(AuthorizeTest, DenialsNameTheIdentityAndTheMissingRole) {
  absl::Status status =
      Authorize({"team-b", Role::kClient, "token on line 2 of tokens"},
                Permission::kWork);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "tenant team-b (client, token on line 2 of tokens) may not "
            "register as a worker: that needs the worker role");

  status = Authorize({"pool", Role::kWorker, "certificate CN=pool"},
                     Permission::kBuild);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "tenant pool (worker, certificate CN=pool) may not start or list "
            "builds: that needs the client or admin role");

  status = Authorize({"team-a", Role::kClient, "certificate CN=team-a"},
                     Permission::kAdminister);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(),
              ::testing::HasSubstr("may not administer the farm: that needs "
                                   "the admin role"));
}

TEST(PermissionForMethodTest, KnowsTheTable) {
  EXPECT_EQ(PermissionForMethod("/farm.proto.BuildService/Build"),
            Permission::kBuild);
  EXPECT_EQ(PermissionForMethod("/farm.proto.BuildService/ListBuilds"),
            Permission::kBuild);
  EXPECT_EQ(PermissionForMethod("/farm.proto.WorkerService/Connect"),
            Permission::kWork);
  EXPECT_EQ(
      PermissionForMethod("/farm.proto.CacheMountService/AdvanceCacheMount"),
      Permission::kWork);
  EXPECT_EQ(PermissionForMethod("/farm.proto.WorkerService/ListWorkers"),
            Permission::kAdminister);
  EXPECT_EQ(PermissionForMethod("/farm.proto.WorkerService/Stats"),
            Permission::kAdminister);
  EXPECT_EQ(PermissionForMethod("/farm.proto.ImageService/PushImage"),
            Permission::kImages);
  for (const char* m : {"FindMissing", "BatchRead", "Read", "Stat",
                        "GetActionResult", "BatchGetActionResults"}) {
    EXPECT_EQ(PermissionForMethod(absl::StrCat("/farm.proto.CacheService/", m)),
              Permission::kCacheRead)
        << m;
  }
  for (const char* m : {"BatchUpdate", "Write", "UpdateActionResult"}) {
    EXPECT_EQ(PermissionForMethod(absl::StrCat("/farm.proto.CacheService/", m)),
              Permission::kCacheWrite)
        << m;
  }
  for (const char* m : {"Stats", "Prune", "Delete", "SetPins"}) {
    EXPECT_EQ(PermissionForMethod(absl::StrCat("/farm.proto.CacheService/", m)),
              Permission::kAdminister)
        << m;
  }
}

TEST(PermissionForMethodTest, UnknownMethodsHaveNone) {
  for (absl::string_view method :
       {"", "/", "/farm.proto.BuildService/", "/farm.proto.BuildService/Nope",
        "farm.proto.BuildService/Build", "/farm.proto.BuildService/build",
        "/grpc.health.v1.Health/Check",
        "/farm.proto.ImageService/ListImages/"}) {
    EXPECT_EQ(PermissionForMethod(method), std::nullopt) << method;
  }
}

// A new RPC without a line in the table fails here, not in production.
TEST(PermissionForMethodTest, EveryFarmRpcHasAPermission) {
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* name : {proto::BuildService::service_full_name(),
                           proto::WorkerService::service_full_name(),
                           proto::CacheMountService::service_full_name(),
                           proto::ImageService::service_full_name(),
                           proto::CacheService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string full_method = absl::StrCat(
          "/", service->full_name(), "/", service->method(i)->name());
      EXPECT_TRUE(PermissionForMethod(full_method).has_value())
          << full_method << " has no permission in auth/permission.cc";
      ++methods;
    }
  }
  EXPECT_EQ(methods, 32);
}

}  // namespace
}  // namespace farm::auth
