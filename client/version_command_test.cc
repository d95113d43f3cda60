#include "client/version_command.h"

#include "common/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(VersionCommandTest, ClientVersionDescribesThisBuild) {
  proto::VersionInfo info = ClientVersion();
  EXPECT_EQ(info.component(), "farm");
  EXPECT_EQ(info.version(), kFarmVersion);
  EXPECT_THAT(info.grpc_version(), ::testing::MatchesRegex("[0-9]+\\..*"));
  EXPECT_THAT(info.platform(), StartsWith("linux/"));
  EXPECT_NE(info.platform(), "linux/unknown");
  EXPECT_FALSE(info.compiler().empty());
}

TEST(VersionCommandTest, FormatsOneFieldALine) {
  proto::VersionInfo info;
  info.set_version("1.2.3");
  info.set_grpc_version("1.51.1");
  info.set_compiler("gcc 12.2.0");
  info.set_platform("linux/arm64");
  EXPECT_EQ(FormatVersion("Server (farm-scheduler at h:1)", info),
            "Server (farm-scheduler at h:1):\n"
            " Version:    1.2.3\n"
            " gRPC:       1.51.1\n"
            " Compiler:   gcc 12.2.0\n"
            " OS/Arch:    linux/arm64\n");
}

}  // namespace
}  // namespace farm::client
