// OpenFarmChannel to a list of remote schedulers of which one listens at a
// time, with real gRPC servers on 127.0.0.1, in plaintext and over TLS.
#include "client/farm_channel.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/tls/server_credentials.h"
#include "auth/tls/testing/named_server.h"
#include "auth/tls/testing/test_pki.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

using ::farm::auth::testing::NamedServer;
using ::farm::auth::testing::TestPki;
using ::farm::auth::testing::UnusedPort;
using ::farm::auth::testing::WhoAmI;
using ::farm::auth::testing::WhoAmIRequest;
using ::farm::auth::testing::WhoAmIResponse;
using ::testing::AnyOf;
using ::testing::HasSubstr;

// The name of the server a call reached, waiting up to 10 s for one to
// accept, or the call's error.
std::string Ask(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  WhoAmIResponse response;
  grpc::Status status =
      WhoAmI::NewStub(channel)->Ask(&context, WhoAmIRequest(), &response);
  return status.ok() ? response.tenant() : status.error_message();
}

TEST(FarmChannelTest, ARemoteListFollowsWhicheverSchedulerListens) {
  absl::StatusOr<int> first_port = UnusedPort();
  ASSERT_TRUE(first_port.ok()) << first_port.status();
  absl::StatusOr<std::unique_ptr<NamedServer>> second = NamedServer::Start(
      "second", "127.0.0.1", 0, grpc::InsecureServerCredentials());
  ASSERT_TRUE(second.ok()) << second.status();
  FarmEndpoint endpoint;
  endpoint.remote =
      absl::StrCat("127.0.0.1:", *first_port, ",127.0.0.1:", (*second)->port());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_EQ(Ask(*channel), "second");

  second->reset();
  absl::StatusOr<std::unique_ptr<NamedServer>> first = NamedServer::Start(
      "first", "127.0.0.1", *first_port, grpc::InsecureServerCredentials());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Ask(*channel), "first");
}

TEST(FarmChannelTest, ARemoteListOverTls) {
  const std::string dir = *MakeTempDir("farm_channel_pki");
  absl::StatusOr<TestPki> pki = auth::testing::MakeTestPki(dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  absl::StatusOr<int> first_port = UnusedPort();
  ASSERT_TRUE(first_port.ok()) << first_port.status();
  absl::StatusOr<std::unique_ptr<NamedServer>> second =
      NamedServer::Start("second", "127.0.0.1", 0,
                         *auth::MakeServerCredentials(
                             {pki->server_a.cert, pki->server_a.key, ""}));
  ASSERT_TRUE(second.ok()) << second.status();
  FarmEndpoint endpoint;
  endpoint.remote =
      absl::StrCat("localhost:", *first_port, ",127.0.0.1:", (*second)->port());
  endpoint.security.tls_ca = pki->ca_a;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_EQ(Ask(*channel), "second");
  RemoveAll(dir).IgnoreError();
}

TEST(FarmChannelTest, AnUnknownHostInTheListIsNamed) {
  FarmEndpoint endpoint;
  endpoint.remote = "127.0.0.1:7700,nohost.invalid:1";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenFarmChannel(endpoint);
  ASSERT_FALSE(channel.ok());
  EXPECT_THAT(channel.status().code(), AnyOf(absl::StatusCode::kInvalidArgument,
                                             absl::StatusCode::kUnavailable));
  EXPECT_THAT(channel.status().message(),
              HasSubstr("cannot resolve host \"nohost.invalid\""));
}

}  // namespace
}  // namespace farm::client
