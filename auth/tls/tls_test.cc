// Real TLS between real gRPC clients (DialFarm) and servers
// (MakeServerCredentials) on 127.0.0.1, with certificates made by the
// openssl command line. Each server answers with what it saw of the call.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/authenticator.h"
#include "auth/certificate_identity.h"
#include "auth/service/testing/whoami_server.h"
#include "auth/tls/channel.h"
#include "auth/tls/server_credentials.h"
#include "auth/tls/testing/test_pki.h"
#include "auth/token_file.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::farm::auth::testing::TestPki;
using ::farm::auth::testing::WhoAmI;
using ::farm::auth::testing::WhoAmIRequest;
using ::farm::auth::testing::WhoAmIResponse;
using ::farm::auth::testing::WhoAmIServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kToken[] = "team-b-token-0123456789abcdef";

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new std::string(*MakeTempDir("tls_pki"));
    absl::StatusOr<TestPki> pki = testing::MakeTestPki(*pki_dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*pki);
  }
  static void TearDownTestSuite() { RemoveAll(*pki_dir_).IgnoreError(); }

  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("tls_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    const std::string path = JoinPath(dir_, "tokens");
    ASSERT_TRUE(WriteFile(path, absl::StrCat(kToken, " team-b client\n")).ok());
    absl::StatusOr<std::unique_ptr<TokenFile>> tokens = TokenFile::Open(path);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
  }
  void TearDown() override {
    server_.reset();
    RemoveAll(dir_).IgnoreError();
  }

  // Starts the server with `files`; tokens are always accepted, client
  // certificates when files.client_ca is set.
  void Serve(const ServerTlsFiles& files,
             absl::Duration refresh = absl::Seconds(2)) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(files, refresh);
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    authenticator_ = std::make_unique<Authenticator>(
        AuthenticatorOptions{tokens_.get(), !files.client_ca.empty()});
    absl::StatusOr<std::unique_ptr<WhoAmIServer>> server =
        WhoAmIServer::Start(*credentials, authenticator_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // One call from a fresh channel (its own connection) to the server.
  grpc::Status Ask(const ClientSecurity& security, WhoAmIResponse* response,
                   const std::string& host = "127.0.0.1") {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = DialFarm(
        absl::StrCat(host, ":", server_->port()), security, std::move(args));
    if (!channel.ok()) {
      ADD_FAILURE() << channel.status();
      return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return WhoAmI::NewStub(*channel)->Ask(&context, WhoAmIRequest(), response);
  }

  // A call that must fail in the TLS handshake.
  void ExpectHandshakeFailure(const ClientSecurity& security) {
    WhoAmIResponse response;
    grpc::Status status = Ask(security, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << status.error_code() << ": " << status.error_message();
    EXPECT_EQ(response.code(), 0)
        << "the server answered: " << response.message();
  }

  static std::string* pki_dir_;
  static TestPki* pki_;
  std::string dir_;
  std::unique_ptr<TokenFile> tokens_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<WhoAmIServer> server_;
};

std::string* TlsTest::pki_dir_;
TestPki* TlsTest::pki_;

TEST_F(TlsTest, TlsWorksWithTheRightCa) {
  Serve({pki_->server_a.cert, pki_->server_a.key, ""});
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    WhoAmIResponse response;
    grpc::Status status = Ask({pki_->ca_a, "", "", kToken}, &response, host);
    ASSERT_TRUE(status.ok()) << host << ": " << status.error_message();
    EXPECT_EQ(response.code(), 0) << response.message();
    EXPECT_EQ(response.tenant(), "team-b");
    EXPECT_EQ(response.role(), "client");
    EXPECT_THAT(response.peer_certificate_pem(), IsEmpty());
  }
}

TEST_F(TlsTest, APlaintextClientCannotTalkToATlsServer) {
  Serve({pki_->server_a.cert, pki_->server_a.key, ""});
  ExpectHandshakeFailure({"", "", "", kToken});
}

TEST_F(TlsTest, AClientTrustingAnotherCaRefusesTheServer) {
  Serve({pki_->server_a.cert, pki_->server_a.key, ""});
  ExpectHandshakeFailure({pki_->ca_b, "", "", kToken});
}

TEST_F(TlsTest, AnExpiredServerCertificateIsRefused) {
  Serve({pki_->server_expired.cert, pki_->server_expired.key, ""});
  ExpectHandshakeFailure({pki_->ca_a, "", "", kToken});
}

TEST_F(TlsTest, TheServerNameIsChecked) {
  Serve({pki_->server_wrong_name.cert, pki_->server_wrong_name.key, ""});
  ExpectHandshakeFailure({pki_->ca_a, "", "", kToken});
}

TEST_F(TlsTest, AClientCertificateGivesItsIdentity) {
  Serve({pki_->server_a.cert, pki_->server_a.key, pki_->ca_a});
  WhoAmIResponse response;
  grpc::Status status =
      Ask({pki_->ca_a, pki_->client_admin.cert, pki_->client_admin.key, ""},
          &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.authorization(), IsEmpty());
  EXPECT_THAT(response.peer_certificate_pem(),
              HasSubstr("-----BEGIN CERTIFICATE-----"));
  absl::StatusOr<CertificateSubject> subject =
      ParseCertificateSubject(response.peer_certificate_pem());
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->common_name, "team-a");
  EXPECT_EQ(response.code(), 0) << response.message();
  EXPECT_EQ(response.tenant(), "team-a");
  EXPECT_EQ(response.role(), "admin");
  EXPECT_EQ(response.source(), "certificate CN=team-a");
}

TEST_F(TlsTest, AClientCertificateFromAnotherCaIsRefused) {
  Serve({pki_->server_a.cert, pki_->server_a.key, pki_->ca_a});
  ExpectHandshakeFailure(
      {pki_->ca_a, pki_->client_other_ca.cert, pki_->client_other_ca.key, ""});
}

TEST_F(TlsTest, AnExpiredClientCertificateIsRefused) {
  Serve({pki_->server_a.cert, pki_->server_a.key, pki_->ca_a});
  ExpectHandshakeFailure(
      {pki_->ca_a, pki_->client_expired.cert, pki_->client_expired.key, ""});
}

TEST_F(TlsTest, ATokenOnlyClientConnectsToAMutualTlsServer) {
  Serve({pki_->server_a.cert, pki_->server_a.key, pki_->ca_a});
  WhoAmIResponse response;
  grpc::Status status = Ask({pki_->ca_a, "", "", kToken}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.authorization(),
              ElementsAre(absl::StrCat("Bearer ", kToken)));
  EXPECT_THAT(response.peer_certificate_pem(), IsEmpty());
  EXPECT_EQ(response.code(), 0) << response.message();
  EXPECT_EQ(response.tenant(), "team-b");
  EXPECT_THAT(response.source(), HasSubstr("token on line 1 of "));
}

TEST_F(TlsTest, AMutualTlsServerTellsACallerWithNothingWhatIsMissing) {
  Serve({pki_->server_a.cert, pki_->server_a.key, pki_->ca_a});
  WhoAmIResponse response;
  grpc::Status status = Ask({pki_->ca_a, "", "", ""}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.code(),
            static_cast<int>(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(response.message(),
            "this farm requires a token or a client certificate, and the call "
            "carried neither");
}

TEST_F(TlsTest, TokensTravelOverPlaintextLoopback) {
  Serve({});
  WhoAmIResponse response;
  grpc::Status status = Ask({"", "", "", kToken}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.authorization(),
              ElementsAre(absl::StrCat("Bearer ", kToken)));
  EXPECT_EQ(response.tenant(), "team-b");

  WhoAmIResponse without;
  status = Ask({}, &without);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(without.authorization(), IsEmpty());
  EXPECT_EQ(without.code(),
            static_cast<int>(absl::StatusCode::kUnauthenticated));
}

TEST_F(TlsTest, ARotatedCertificateIsServedWithoutARestart) {
  const std::string cert = JoinPath(dir_, "server.pem");
  const std::string key = JoinPath(dir_, "server.key");
  ASSERT_TRUE(WriteFile(cert, *ReadFile(pki_->server_a.cert)).ok());
  ASSERT_TRUE(WriteFile(key, *ReadFile(pki_->server_a.key)).ok());
  Serve({cert, key, ""}, absl::Seconds(1));
  WhoAmIResponse response;
  ASSERT_TRUE(Ask({pki_->ca_a, "", "", kToken}, &response).ok());
  ExpectHandshakeFailure({pki_->ca_b, "", "", kToken});

  ASSERT_TRUE(WriteFileAtomic(key, *ReadFile(pki_->server_b.key)).ok());
  ASSERT_TRUE(WriteFileAtomic(cert, *ReadFile(pki_->server_b.cert)).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  grpc::Status status;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    status = Ask({pki_->ca_b, "", "", kToken}, &response);
  } while (!status.ok() && absl::Now() < deadline);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.tenant(), "team-b");
  ExpectHandshakeFailure({pki_->ca_a, "", "", kToken});
}

}  // namespace
}  // namespace farm::auth
