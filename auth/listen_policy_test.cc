#include "auth/listen_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::HasSubstr;

TEST(IsLoopbackAddressTest, LoopbackAddresses) {
  for (absl::string_view address :
       {"127.0.0.1:7700", "127.0.0.1:0", "127.1.2.3:65535", "[::1]:7700",
        "[0:0:0:0:0:0:0:1]:7700", "[::ffff:127.0.0.1]:7700", "localhost:7700",
        "LocalHost:1", "unix:/run/farm.sock", "unix:relative.sock",
        "unix-abstract:farm"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
}

TEST(IsLoopbackAddressTest, EverythingElse) {
  for (absl::string_view address : {"0.0.0.0:7700",
                                    "[::]:7700",
                                    ":7700",
                                    "farm.example.com:7700",
                                    "localhost.example.com:7700",
                                    "10.0.0.1:7700",
                                    "128.0.0.1:7700",
                                    "[::2]:7700",
                                    "[::ffff:10.0.0.1]:7700",
                                    "127.0.0.1",
                                    "127.0.0.1:",
                                    "127.0.0.1:port",
                                    "127.0.0.1:65536",
                                    "127.0.0.1:-1",
                                    "127.1:7700",
                                    "127.0.0.1.example.com:7700",
                                    "::1:7700",
                                    "[::1]",
                                    "localhost",
                                    "",
                                    "dns:///localhost:7700",
                                    "ipv4:127.0.0.1:7700",
                                    "[]:7700"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

TEST(CheckListenSecurityTest, AllowsAnySafeguard) {
  EXPECT_TRUE(CheckListenSecurity("farm-scheduler", "127.0.0.1:7700", false,
                                  false, false)
                  .ok());
  EXPECT_TRUE(
      CheckListenSecurity("farm-scheduler", "0.0.0.0:7700", true, false, false)
          .ok());
  EXPECT_TRUE(
      CheckListenSecurity("farm-scheduler", "0.0.0.0:7700", false, true, false)
          .ok());
  EXPECT_TRUE(
      CheckListenSecurity("farm-scheduler", "0.0.0.0:7700", false, false, true)
          .ok());
}

TEST(CheckListenSecurityTest, RefusesAnOpenPlaintextServer) {
  absl::Status status = CheckListenSecurity("farm-scheduler", "0.0.0.0:7700",
                                            false, false, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "farm-scheduler: refusing to listen on 0.0.0.0:7700 in plaintext "
            "with no identities: anyone who can reach it could act as an "
            "admin (run builds as root on the workers, or rewrite the cache). "
            "Add --tls-cert FILE --tls-key FILE, and "
            "--tokens FILE or --tls-client-ca FILE; or pass --insecure to "
            "accept the risk.");
  status = CheckListenSecurity("farm-cache", "[::]:7701", false, false, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("farm-cache: refusing to listen on [::]:7701"));
}

}  // namespace
}  // namespace farm::auth
