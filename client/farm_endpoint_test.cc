#include "client/farm_channel.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

TEST(ResolveRemoteTest, TheFlagWinsOverTheEnvironment) {
  FarmEndpoint endpoint;
  ResolveRemote("sched:7700", "other:7700", endpoint);
  EXPECT_EQ(endpoint.remote, "sched:7700");
  EXPECT_EQ(endpoint.remote_source, "--remote");
  EXPECT_TRUE(RemoteNamedByFlag(endpoint));
}

TEST(ResolveRemoteTest, TheEnvironmentWhenNoFlag) {
  FarmEndpoint endpoint;
  ResolveRemote("", "other:7700", endpoint);
  EXPECT_EQ(endpoint.remote, "other:7700");
  EXPECT_EQ(endpoint.remote_source, "FARM_REMOTE");
  // login and logout then mean a registry, not this farm.
  EXPECT_FALSE(RemoteNamedByFlag(endpoint));
}

TEST(ResolveRemoteTest, NeitherLeavesTheEndpointAlone) {
  FarmEndpoint embedded;
  ResolveRemote("", nullptr, embedded);
  EXPECT_EQ(embedded.remote, "");
  EXPECT_FALSE(RemoteNamedByFlag(embedded));
  FarmEndpoint chosen;
  ResolveRemote("", "env:1", chosen);
  ResolveRemote("", nullptr, chosen);
  EXPECT_EQ(chosen.remote, "env:1");
  EXPECT_EQ(chosen.remote_source, "FARM_REMOTE");
}

}  // namespace
}  // namespace farm::client
