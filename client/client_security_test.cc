#include "client/client_security.h"

#include <sys/stat.h>

#include <map>

#include "absl/strings/match.h"
#include "client/farm_errors.h"
#include "client/farm_logins.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

class ClientSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("client-security");
    config_ = JoinPath(dir_, "farm/config.json");
  }
  std::function<const char*(const char*)> Env() {
    return [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
  }
  std::string dir_, config_;
  std::map<std::string, std::string> env_;
};

TEST_F(ClientSecurityTest, FlagsBeatTheEnvironmentWhichBeatsTheLogin) {
  ASSERT_TRUE(StoreFarmToken(config_, "sched:7700", "stored-token").ok());
  SecurityFlags flags;
  absl::StatusOr<auth::ClientSecurity> s =
      ResolveClientSecurity(flags, "sched:7700", config_, Env());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->token, "stored-token");
  EXPECT_FALSE(s->tls());
  // Another farm's login is not sent.
  EXPECT_EQ(ResolveClientSecurity(flags, "other:7700", config_, Env())->token,
            "");

  env_ = {{"FARM_TOKEN", "env-token"}, {"FARM_TLS_CA", "/env/ca.pem"}};
  s = ResolveClientSecurity(flags, "sched:7700", config_, Env());
  EXPECT_EQ(s->token, "env-token");
  EXPECT_EQ(s->tls_ca, "/env/ca.pem");

  ASSERT_TRUE(WriteFile(JoinPath(dir_, "token"), "  file-token\n").ok());
  flags.token_file = JoinPath(dir_, "token");
  flags.tls_ca = "/flag/ca.pem";
  s = ResolveClientSecurity(flags, "sched:7700", config_, Env());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->token, "file-token");
  EXPECT_EQ(s->tls_ca, "/flag/ca.pem");
  EXPECT_TRUE(s->tls());
}

TEST_F(ClientSecurityTest, MissingTokenFileIsAnError) {
  SecurityFlags flags;
  flags.token_file = JoinPath(dir_, "nope");
  absl::StatusOr<auth::ClientSecurity> s =
      ResolveClientSecurity(flags, "sched:7700", config_, Env());
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "nope")) << s.status();
}

TEST_F(ClientSecurityTest, LoginsKeepTheRestOfTheFileAndAreOwnerOnly) {
  ASSERT_TRUE(MakeDirs(DirName(config_)).ok());
  ASSERT_TRUE(
      WriteFile(config_, R"({"auths": {"r.example": {"auth": "eDp5"}}})").ok());
  ASSERT_TRUE(StoreFarmToken(config_, "a:1", "token-a").ok());
  ASSERT_TRUE(StoreFarmToken(config_, "b:1", "token-b").ok());
  EXPECT_EQ(**StoredFarmToken(config_, "a:1"), "token-a");
  std::string text = *ReadFile(config_);
  EXPECT_TRUE(absl::StrContains(text, "eDp5")) << text;
  struct stat st;
  ASSERT_EQ(stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(*RemoveFarmToken(config_, "a:1"));
  EXPECT_FALSE(*RemoveFarmToken(config_, "a:1"));
  EXPECT_FALSE(StoredFarmToken(config_, "a:1")->has_value());
  EXPECT_EQ(**StoredFarmToken(config_, "b:1"), "token-b");
}

TEST(FarmErrorsTest, AccessFailuresBecomeSentencesThatSayWhatToSet) {
  RemoteFarm farm{"sched:7700", "FARM_REMOTE", false, false};
  grpc::Status explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token"), farm);
  EXPECT_EQ(explained.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(explained.error_message(), "FARM_TOKEN"));
  EXPECT_TRUE(absl::StrContains(explained.error_message(),
                                "farm login --remote sched:7700"));

  explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "needs worker"), farm);
  EXPECT_TRUE(absl::StrContains(explained.error_message(), "needs worker"));
  EXPECT_TRUE(absl::StrContains(explained.error_message(), "role"));

  explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "failed to connect to all addresses; last error: "
                   "UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote "
                   "host: Connection refused"),
      farm);
  EXPECT_TRUE(absl::StartsWith(explained.error_message(),
                               "cannot reach the farm at sched:7700"))
      << explained.error_message();
  EXPECT_TRUE(absl::StrContains(explained.error_message(),
                                "FARM_REMOTE is set to sched:7700"));

  explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "Ssl handshake failed: CERTIFICATE_VERIFY_FAILED"),
      farm);
  EXPECT_TRUE(absl::StrContains(explained.error_message(), "FARM_TLS_CA"));

  // gRPC's TCP connect step is no TLS handshake.
  explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "connections to all backends failing; last error: "
                   "UNKNOWN: ipv4:127.0.0.1:1: tcp handshaker shutdown"),
      farm);
  EXPECT_TRUE(absl::StartsWith(explained.error_message(),
                               "cannot reach the farm at sched:7700"))
      << explained.error_message();

  // A build's own failure is left alone.
  explained = ExplainFarmStatus(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "No such image: x"), farm);
  EXPECT_EQ(explained.error_message(), "No such image: x");
}

}  // namespace
}  // namespace farm::client
