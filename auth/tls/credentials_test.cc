#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/tls/channel.h"
#include "auth/tls/refresh_interval.h"
#include "auth/tls/server_credentials.h"
#include "auth/tls/testing/test_pki.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::farm::auth::testing::TestPki;
using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(*MakeTempDir("credentials"));
    absl::StatusOr<TestPki> pki = testing::MakeTestPki(*dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*pki);
    garbage_ = new std::string(JoinPath(*dir_, "garbage.pem"));
    ASSERT_TRUE(WriteFile(*garbage_, "not PEM at all\n").ok());
    encrypted_key_ = new std::string(JoinPath(*dir_, "encrypted.key"));
    const std::string command =
        absl::StrCat("openssl pkey -in '", pki_->server_a.key,
                     "' -aes256 -passout pass:secret -out '", *encrypted_key_,
                     "' 2>/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  static void TearDownTestSuite() { RemoveAll(*dir_).IgnoreError(); }

  static absl::Status ServerError(const ServerTlsFiles& files) {
    return MakeServerCredentials(files).status();
  }
  static absl::Status ClientError(const ClientSecurity& security) {
    return MakeChannelCredentials(security).status();
  }

  static std::string* dir_;
  static TestPki* pki_;
  static std::string* garbage_;
  static std::string* encrypted_key_;
};

std::string* CredentialsTest::dir_;
TestPki* CredentialsTest::pki_;
std::string* CredentialsTest::garbage_;
std::string* CredentialsTest::encrypted_key_;

void ExpectError(const absl::Status& status, absl::StatusCode code,
                 absl::string_view message) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(status.message(), HasSubstr(message));
}

TEST_F(CredentialsTest, ServerCredentialsForGoodFiles) {
  EXPECT_TRUE(MakeServerCredentials({}).ok());
  EXPECT_TRUE(
      MakeServerCredentials({pki_->server_a.cert, pki_->server_a.key, ""})
          .ok());
  EXPECT_TRUE(MakeServerCredentials(
                  {pki_->server_a.cert, pki_->server_a.key, pki_->ca_a})
                  .ok());
  EXPECT_FALSE(ServerTlsFiles{}.enabled());
  EXPECT_TRUE((ServerTlsFiles{"cert", "key", ""}.enabled()));
}

TEST_F(CredentialsTest, ServerFilesMustComeTogether) {
  ExpectError(ServerError({pki_->server_a.cert, "", ""}),
              absl::StatusCode::kInvalidArgument,
              "a TLS certificate was given without its private key");
  ExpectError(ServerError({"", pki_->server_a.key, ""}),
              absl::StatusCode::kInvalidArgument,
              "a TLS private key was given without its certificate");
  ExpectError(ServerError({"", "", pki_->ca_a}),
              absl::StatusCode::kInvalidArgument,
              "a client CA was given without a server certificate");
}

TEST_F(CredentialsTest, ServerFilesAreCheckedAndNamed) {
  const std::string missing = JoinPath(*dir_, "missing.pem");
  ExpectError(ServerError({missing, pki_->server_a.key, ""}),
              absl::StatusCode::kNotFound,
              absl::StrCat("reading the TLS certificate: opening ", missing));
  ExpectError(ServerError({pki_->server_a.cert, missing, ""}),
              absl::StatusCode::kNotFound,
              absl::StrCat("reading the TLS private key: opening ", missing));
  ExpectError(ServerError({*garbage_, pki_->server_a.key, ""}),
              absl::StatusCode::kInvalidArgument,
              absl::StrCat("the certificate file ", *garbage_,
                           " holds no PEM certificate"));
  ExpectError(ServerError({pki_->server_a.cert, pki_->server_a.cert, ""}),
              absl::StatusCode::kInvalidArgument,
              absl::StrCat("the private key file ", pki_->server_a.cert,
                           " holds no unencrypted PEM private key"));
  ExpectError(ServerError({pki_->server_a.cert, *encrypted_key_, ""}),
              absl::StatusCode::kInvalidArgument,
              "holds no unencrypted PEM private key");
  ExpectError(ServerError({pki_->server_a.cert, pki_->server_b.key, ""}),
              absl::StatusCode::kInvalidArgument,
              absl::StrCat("the private key in ", pki_->server_b.key,
                           " does not belong to the certificate in ",
                           pki_->server_a.cert));
  ExpectError(ServerError({pki_->server_a.cert, pki_->server_a.key, *garbage_}),
              absl::StatusCode::kInvalidArgument,
              absl::StrCat("the client CA file ", *garbage_,
                           " holds no PEM certificate"));
  ExpectError(ServerError({pki_->server_a.cert, pki_->server_a.key, missing}),
              absl::StatusCode::kNotFound, missing);
}

TEST_F(CredentialsTest, ChannelCredentialsForGoodFiles) {
  EXPECT_TRUE(MakeChannelCredentials({}).ok());
  EXPECT_TRUE(MakeChannelCredentials({pki_->ca_a, "", "", ""}).ok());
  EXPECT_TRUE(MakeChannelCredentials({pki_->ca_a, pki_->client_admin.cert,
                                      pki_->client_admin.key, ""})
                  .ok());
  // System roots with a client certificate.
  EXPECT_TRUE(MakeChannelCredentials(
                  {"", pki_->client_admin.cert, pki_->client_admin.key, ""})
                  .ok());
  EXPECT_FALSE(ClientSecurity{}.tls());
  EXPECT_FALSE((ClientSecurity{"", "", "", "token"}.tls()));
  EXPECT_TRUE((ClientSecurity{"ca", "", "", ""}.tls()));
  EXPECT_TRUE((ClientSecurity{"", "cert", "key", ""}.tls()));
}

TEST_F(CredentialsTest, ChannelFilesAreCheckedAndNamed) {
  ExpectError(ClientError({pki_->ca_a, pki_->client_admin.cert, "", ""}),
              absl::StatusCode::kInvalidArgument,
              "a TLS client certificate was given without its private key");
  ExpectError(ClientError({"", "", pki_->client_admin.key, ""}),
              absl::StatusCode::kInvalidArgument,
              "a TLS private key was given without its client certificate");
  const std::string missing = JoinPath(*dir_, "missing-ca.pem");
  ExpectError(
      ClientError({missing, "", "", ""}), absl::StatusCode::kNotFound,
      absl::StrCat("reading the TLS CA certificate: opening ", missing));
  ExpectError(ClientError({*garbage_, "", "", ""}),
              absl::StatusCode::kInvalidArgument,
              absl::StrCat("the CA certificate file ", *garbage_,
                           " holds no PEM certificate"));
  ExpectError(ClientError({pki_->ca_a, pki_->client_admin.cert,
                           pki_->client_other_ca.key, ""}),
              absl::StatusCode::kInvalidArgument, "does not belong to");
}

TEST_F(CredentialsTest, DialFarmRefusesTokensThatCannotBeSent) {
  grpc::ChannelArguments args;
  for (const std::string& token :
       {std::string("secret token"), std::string("secret-token\n"),
        std::string(4097, 's')}) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        DialFarm("127.0.0.1:1", {"", "", "", token}, args);
    EXPECT_EQ(channel.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(channel.status().message(),
                HasSubstr("the farm token must be 1 to 4096 characters of "
                          "visible ASCII"));
    EXPECT_THAT(channel.status().message(), Not(HasSubstr("secret")));
  }
  EXPECT_TRUE(DialFarm("127.0.0.1:1", {"", "", "", "secret-token"}, args).ok());
  EXPECT_EQ(
      DialFarm("127.0.0.1:1", {*garbage_, "", "", ""}, args).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(RefreshSecondsTest, RoundsUpToWholeSecondsOfAtLeastOne) {
  EXPECT_EQ(RefreshSeconds(absl::ZeroDuration()), 1u);
  EXPECT_EQ(RefreshSeconds(absl::Milliseconds(-5)), 1u);
  EXPECT_EQ(RefreshSeconds(absl::Milliseconds(1)), 1u);
  EXPECT_EQ(RefreshSeconds(absl::Seconds(2)), 2u);
  EXPECT_EQ(RefreshSeconds(absl::Milliseconds(2001)), 3u);
  EXPECT_EQ(RefreshSeconds(absl::InfiniteDuration()), 86400u);
}

}  // namespace
}  // namespace farm::auth
