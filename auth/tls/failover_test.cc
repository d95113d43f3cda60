// DialFarm to a list of servers of which only one listens at a time (the
// active/passive schedulers), with real gRPC servers on 127.0.0.1 and
// [::1], in plaintext and over TLS.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/tls/channel.h"
#include "auth/tls/server_credentials.h"
#include "auth/tls/testing/named_server.h"
#include "auth/tls/testing/test_pki.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::farm::auth::testing::NamedServer;
using ::farm::auth::testing::TestPki;
using ::farm::auth::testing::UnusedPort;
using ::farm::auth::testing::WhoAmI;
using ::farm::auth::testing::WhoAmIRequest;
using ::farm::auth::testing::WhoAmIResponse;
using ::testing::AnyOf;
using ::testing::HasSubstr;

// Long enough for a reconnect (at most 2 s apart) on a loaded machine.
constexpr absl::Duration kFailover = absl::Seconds(10);

class FailoverTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new std::string(*MakeTempDir("failover_pki"));
    absl::StatusOr<TestPki> pki = testing::MakeTestPki(*pki_dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*pki);
  }
  static void TearDownTestSuite() { RemoveAll(*pki_dir_).IgnoreError(); }

  bool tls() const { return GetParam(); }

  // Two different ports nothing listens on.
  void SetUp() override {
    absl::StatusOr<int> a = UnusedPort(), b = UnusedPort();
    while (a.ok() && b.ok() && *a == *b) b = UnusedPort();
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    port_a_ = *a;
    port_b_ = *b;
  }

  std::unique_ptr<NamedServer> Start(const std::string& name, int port,
                                     const std::string& host = "127.0.0.1") {
    std::shared_ptr<grpc::ServerCredentials> credentials =
        grpc::InsecureServerCredentials();
    if (tls()) {
      credentials =
          *MakeServerCredentials({pki_->server_a.cert, pki_->server_a.key, ""});
    }
    absl::StatusOr<std::unique_ptr<NamedServer>> server =
        NamedServer::Start(name, host, port, credentials);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  std::shared_ptr<grpc::Channel> Dial(const std::string& target) {
    ClientSecurity security;
    if (tls()) security.tls_ca = pki_->ca_a;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        DialFarm(target, security, grpc::ChannelArguments());
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.value_or(nullptr);
  }

  // The name of the server one call reached, or the call's error. With
  // `wait`, the call waits up to kFailover for a server to accept.
  static std::string Ask(const std::shared_ptr<grpc::Channel>& channel,
                         bool wait = true) {
    grpc::ClientContext context;
    context.set_wait_for_ready(wait);
    context.set_deadline(absl::ToChronoTime(
        absl::Now() + (wait ? kFailover : absl::Seconds(5))));
    WhoAmIResponse response;
    grpc::Status status =
        WhoAmI::NewStub(channel)->Ask(&context, WhoAmIRequest(), &response);
    if (!status.ok()) {
      return absl::StrCat("error ", status.error_code(), ": ",
                          status.error_message());
    }
    return response.tenant();
  }

  std::string List() const {
    return absl::StrCat("127.0.0.1:", port_a_, ",127.0.0.1:", port_b_);
  }

  static std::string* pki_dir_;
  static TestPki* pki_;
  int port_a_ = 0, port_b_ = 0;
};

std::string* FailoverTest::pki_dir_;
TestPki* FailoverTest::pki_;

TEST_P(FailoverTest, CallsFollowWhicheverServerListens) {
  std::unique_ptr<NamedServer> a = Start("first", port_a_);
  std::shared_ptr<grpc::Channel> channel = Dial(List());
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(Ask(channel), "first");

  a.reset();
  EXPECT_THAT(Ask(channel, /*wait=*/false), HasSubstr("error 14"));
  std::unique_ptr<NamedServer> b = Start("second", port_b_);
  absl::Time start = absl::Now();
  EXPECT_EQ(Ask(channel), "second");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  b.reset();
  a = Start("first again", port_a_);
  start = absl::Now();
  EXPECT_EQ(Ask(channel), "first again");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_P(FailoverTest, AFirstAddressThatRefusesIsPassedOver) {
  std::unique_ptr<NamedServer> b = Start("second", port_b_);
  std::shared_ptr<grpc::Channel> channel = Dial(List());
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(Ask(channel, /*wait=*/false), "second");
}

TEST_P(FailoverTest, IPv4AndIPv6MixInOneList) {
  // localhost first: the name the TLS test certificate gives, beside
  // 127.0.0.1 (::1 it does not name).
  std::shared_ptr<grpc::Channel> channel = Dial(absl::StrCat(
      "localhost:", port_a_, ",[::1]:", port_a_, ",127.0.0.1:", port_b_));
  ASSERT_NE(channel, nullptr);
  std::unique_ptr<NamedServer> b = Start("second", port_b_);
  EXPECT_EQ(Ask(channel), "second");
  b.reset();
  std::unique_ptr<NamedServer> a = Start("first", port_a_, "[::1]");
  EXPECT_EQ(Ask(channel), "first");
}

TEST_P(FailoverTest, AnUnknownHostIsNamed) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      DialFarm(absl::StrCat("127.0.0.1:", port_a_, ",nohost.invalid:1"), {},
               grpc::ChannelArguments());
  ASSERT_FALSE(channel.ok());
  EXPECT_THAT(channel.status().code(), AnyOf(absl::StatusCode::kInvalidArgument,
                                             absl::StatusCode::kUnavailable));
  EXPECT_THAT(channel.status().message(),
              HasSubstr("cannot resolve host \"nohost.invalid\""));
}

INSTANTIATE_TEST_SUITE_P(PlaintextAndTls, FailoverTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Tls" : "Plaintext";
                         });

// Over TLS the name checked is the first entry's host, whichever server
// answers: the test certificate names 127.0.0.1 and localhost, not
// 127.0.0.2.
TEST(FailoverTlsTest, EveryCertificateMustNameTheFirstHost) {
  const std::string dir = *MakeTempDir("failover_pki");
  absl::StatusOr<TestPki> pki = testing::MakeTestPki(dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  absl::StatusOr<int> unused = UnusedPort();
  ASSERT_TRUE(unused.ok()) << unused.status();
  absl::StatusOr<std::unique_ptr<NamedServer>> server = NamedServer::Start(
      "second", "127.0.0.1", 0,
      *MakeServerCredentials({pki->server_a.cert, pki->server_a.key, ""}));
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = DialFarm(
      absl::StrCat("127.0.0.2:", *unused, ",127.0.0.1:", (*server)->port()),
      {pki->ca_a, "", "", ""}, grpc::ChannelArguments());
  ASSERT_TRUE(channel.ok()) << channel.status();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  WhoAmIResponse response;
  grpc::Status status =
      WhoAmI::NewStub(*channel)->Ask(&context, WhoAmIRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("Hostname Verification"));
  EXPECT_EQ(response.tenant(), "");
  RemoveAll(dir).IgnoreError();
}

}  // namespace
}  // namespace farm::auth
