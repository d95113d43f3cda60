#include "auth/authenticator.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/bearer.h"
#include "auth/testing/self_signed.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::farm::auth::testing::SelfSignedPem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kClientToken[] = "client-token-0123456789";
constexpr char kWorkerToken[] = "worker-token-0123456789";

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("authenticator");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    const std::string path = JoinPath(dir_, "tokens");
    ASSERT_TRUE(WriteFile(path, absl::StrCat(kClientToken, " team-b client\n",
                                             kWorkerToken, " pool worker\n"))
                    .ok());
    absl::StatusOr<std::unique_ptr<TokenFile>> tokens =
        TokenFile::Open(path, &clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  static CallCredentials Call(std::vector<std::string> authorization,
                              std::string pem = "") {
    return CallCredentials{std::move(authorization), std::move(pem)};
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<TokenFile> tokens_;
  const std::string admin_pem_ =
      SelfSignedPem({{"CN", "team-a"}, {"OU", "admin"}});
};

void ExpectUnauthenticated(const absl::StatusOr<Identity>& identity,
                           absl::string_view why) {
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated)
      << identity.status();
  EXPECT_THAT(identity.status().message(), HasSubstr(why));
  EXPECT_THAT(identity.status().message(), Not(HasSubstr("-token-")));
}

TEST_F(AuthenticatorTest, OpenFarmsMakeEveryCallerTheDefaultAdmin) {
  Authenticator authenticator(AuthenticatorOptions{});
  EXPECT_TRUE(authenticator.open());
  for (const CallCredentials& call :
       {Call({}), Call({"Basic nonsense"}), Call({"a", "b"}, "garbage")}) {
    absl::StatusOr<Identity> identity = authenticator.Authenticate(call);
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->tenant, kDefaultTenant);
    EXPECT_EQ(identity->role, Role::kAdmin);
    EXPECT_EQ(identity->source, "no identities configured");
  }
  EXPECT_FALSE(Authenticator({tokens_.get(), false}).open());
  EXPECT_FALSE(Authenticator({nullptr, true}).open());
}

TEST_F(AuthenticatorTest, TokensGiveTheirIdentity) {
  Authenticator authenticator({tokens_.get(), false});
  absl::StatusOr<Identity> identity =
      authenticator.Authenticate(Call({BearerValue(kWorkerToken)}));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->tenant, "pool");
  EXPECT_EQ(identity->role, Role::kWorker);
  EXPECT_THAT(identity->source, HasSubstr("token on line 2 of "));

  identity = authenticator.Authenticate(
      Call({absl::StrCat("bearer   ", kClientToken)}));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->tenant, "team-b");
}

TEST_F(AuthenticatorTest, BadTokensFailEvenWithAGoodCertificate) {
  Authenticator authenticator({tokens_.get(), true});
  ExpectUnauthenticated(
      authenticator.Authenticate(
          Call({BearerValue("unknown-token-0123456789")}, admin_pem_)),
      "the call's bearer token is not one this farm knows");
  ExpectUnauthenticated(
      authenticator.Authenticate(
          Call({absl::StrCat("Basic ", kClientToken)}, admin_pem_)),
      "not of the form \"Bearer TOKEN\"");
  ExpectUnauthenticated(
      authenticator.Authenticate(Call(
          {BearerValue(kClientToken), BearerValue(kClientToken)}, admin_pem_)),
      "the call carried 2 authorization values; send exactly one");
}

TEST_F(AuthenticatorTest, ATokenWinsOverACertificate) {
  Authenticator authenticator({tokens_.get(), true});
  absl::StatusOr<Identity> identity =
      authenticator.Authenticate(Call({BearerValue(kClientToken)}, admin_pem_));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->tenant, "team-b");
  EXPECT_EQ(identity->role, Role::kClient);
}

TEST_F(AuthenticatorTest, ACertificateAloneGivesItsIdentity) {
  for (TokenFile* tokens : {tokens_.get(), static_cast<TokenFile*>(nullptr)}) {
    Authenticator authenticator({tokens, true});
    absl::StatusOr<Identity> identity =
        authenticator.Authenticate(Call({}, admin_pem_));
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->tenant, "team-a");
    EXPECT_EQ(identity->role, Role::kAdmin);
    EXPECT_EQ(identity->source, "certificate CN=team-a");
  }
}

TEST_F(AuthenticatorTest, BadCertificatesAreUnauthenticated) {
  Authenticator authenticator({nullptr, true});
  ExpectUnauthenticated(authenticator.Authenticate(Call({}, "garbage")),
                        "the client certificate is not a PEM certificate");
  ExpectUnauthenticated(
      authenticator.Authenticate(Call({}, SelfSignedPem({{"CN", "a b"}}))),
      "is not a valid tenant name");
}

TEST_F(AuthenticatorTest, CertificatesCountOnlyWhenAClientCaIsConfigured) {
  Authenticator authenticator({tokens_.get(), false});
  ExpectUnauthenticated(authenticator.Authenticate(Call({}, admin_pem_)),
                        "this farm requires a bearer token, and the call "
                        "carried none");
}

TEST_F(AuthenticatorTest, MissingCredentialsSayWhatWasExpected) {
  ExpectUnauthenticated(
      Authenticator({tokens_.get(), true}).Authenticate(Call({})),
      "this farm requires a token or a client certificate, and the call "
      "carried neither");
  ExpectUnauthenticated(
      Authenticator({nullptr, true}).Authenticate(Call({})),
      "requires a client certificate signed by its client CA, and the call "
      "presented none");
  ExpectUnauthenticated(Authenticator({nullptr, true})
                            .Authenticate(Call({BearerValue(kClientToken)})),
                        "this farm accepts no tokens");
}

TEST_F(AuthenticatorTest, FollowsTheTokenFile) {
  Authenticator authenticator({tokens_.get(), false});
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir_, "tokens"),
                              absl::StrCat(kWorkerToken, " pool worker\n"))
                  .ok());
  clock_.Advance(absl::Seconds(1));
  ExpectUnauthenticated(
      authenticator.Authenticate(Call({BearerValue(kClientToken)})),
      "not one this farm knows");
  EXPECT_TRUE(
      authenticator.Authenticate(Call({BearerValue(kWorkerToken)})).ok());
}

}  // namespace
}  // namespace farm::auth
