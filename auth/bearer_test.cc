#include "auth/bearer.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "0123456789abcdef-secret";

TEST(BearerTest, RoundTrips) {
  EXPECT_EQ(kAuthorizationMetadata, std::string("authorization"));
  EXPECT_EQ(BearerValue(kToken), std::string("Bearer ") + kToken);
  absl::StatusOr<std::string> token = ParseBearer(BearerValue(kToken));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, kToken);
}

TEST(BearerTest, TheSchemeIsCaseInsensitiveAndSpacesMayRepeat) {
  for (absl::string_view value :
       {"bearer x!~", "BEARER x!~", "bEaReR   x!~", "Bearer x!~"}) {
    absl::StatusOr<std::string> token = ParseBearer(value);
    ASSERT_TRUE(token.ok()) << value << ": " << token.status();
    EXPECT_EQ(*token, "x!~");
  }
  EXPECT_TRUE(ParseBearer("Bearer " + std::string(4096, 't')).ok());
}

void ExpectRefused(absl::string_view value, absl::string_view why) {
  absl::StatusOr<std::string> token = ParseBearer(value);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated) << value;
  EXPECT_THAT(token.status().message(), HasSubstr(why)) << value;
  EXPECT_THAT(token.status().message(), Not(HasSubstr("secret"))) << value;
}

TEST(BearerTest, OtherSchemesAreRefused) {
  for (absl::string_view value :
       {"", "Bear", "Basic c2VjcmV0", "Bearersecret-token", "Bearer\tsecret",
        "Token secret-token", " Bearer secret-token", "secret-token"}) {
    ExpectRefused(value, "not of the form \"Bearer TOKEN\"");
  }
}

TEST(BearerTest, MissingOrMalformedTokensAreRefused) {
  ExpectRefused("Bearer", "no token after \"Bearer\"");
  ExpectRefused("Bearer    ", "no token after \"Bearer\"");
  ExpectRefused("Bearer secret-token trailing", "outside visible ASCII");
  ExpectRefused("Bearer secret-token ", "outside visible ASCII");
  ExpectRefused("Bearer secret\ttoken", "outside visible ASCII");
  ExpectRefused(std::string("Bearer secret\0token", 19),
                "outside visible ASCII");
  ExpectRefused("Bearer secret-\xc3\xa9", "outside visible ASCII");
  ExpectRefused("Bearer " + std::string(4097, 't'), "longer than 4096 bytes");
}

}  // namespace
}  // namespace farm::auth
