#include "auth/token_table.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokenA[] = "aaaaaaaaaaaaaaaa-token-of-team-a";
constexpr char kTokenB[] = "bbbbbbbbbbbbbbbb-token-of-team-b";
constexpr char kTokenW[] = "wwwwwwwwwwwwwwww-token-of-worker";

absl::Status ParseError(absl::string_view text) {
  return TokenTable::Parse(text, "/etc/farm/tokens").status();
}

TEST(TokenTableTest, FindsEachIdentityWithItsSource) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse(
      absl::StrCat("# farm tokens\n", "\n", kTokenA, " team-a admin\n",
                   "   # indented comment\n", kTokenB, "\tteam-b\t client\r\n",
                   "  ", kTokenW, "  default   worker  \n"),
      "/etc/farm/tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 3u);

  std::optional<Identity> a = table->Find(kTokenA);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->tenant, "team-a");
  EXPECT_EQ(a->role, Role::kAdmin);
  EXPECT_EQ(a->source, "token on line 3 of /etc/farm/tokens");

  std::optional<Identity> b = table->Find(kTokenB);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->tenant, "team-b");
  EXPECT_EQ(b->role, Role::kClient);
  EXPECT_EQ(b->source, "token on line 5 of /etc/farm/tokens");

  std::optional<Identity> w = table->Find(kTokenW);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->tenant, "default");
  EXPECT_EQ(w->role, Role::kWorker);
}

TEST(TokenTableTest, FindsOnlyExactTokens) {
  absl::StatusOr<TokenTable> table =
      TokenTable::Parse(absl::StrCat(kTokenA, " team-a admin"), "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  const std::string a = kTokenA;
  EXPECT_FALSE(table->Find("").has_value());
  EXPECT_FALSE(table->Find(a.substr(0, a.size() - 1)).has_value());
  EXPECT_FALSE(table->Find(a + "x").has_value());
  EXPECT_FALSE(table->Find(" " + a).has_value());
  EXPECT_FALSE(table->Find("AAAAAAAAAAAAAAAA-token-of-team-a").has_value());
  EXPECT_TRUE(table->Find(a).has_value());
}

TEST(TokenTableTest, EmptyFilesGiveEmptyTables) {
  for (absl::string_view text : {"", "\n\n", "# nobody yet\n", "  \t \r\n"}) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->size(), 0u);
    EXPECT_FALSE(table->Find(kTokenA).has_value());
  }
}

TEST(TokenTableTest, WrongFieldCountsNameTheLine) {
  absl::Status status = ParseError(absl::StrCat("# x\n", kTokenA, " team-a"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("/etc/farm/tokens:2: expected TOKEN TENANT ROLE"));
  EXPECT_THAT(status.message(), HasSubstr("found 2 fields"));

  status = ParseError(absl::StrCat(kTokenA, " team-a admin extra words"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(":1: "));
  EXPECT_THAT(status.message(), HasSubstr("found 5 fields"));
}

TEST(TokenTableTest, ACommentMayFollowTheFields) {
  absl::StatusOr<TokenTable> table =
      TokenTable::Parse(absl::StrCat(kTokenA, " team-a admin # the admins\n",
                                     kTokenB, " team-b client #ci\n"),
                        "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  EXPECT_EQ(table->Find(kTokenA)->role, Role::kAdmin);
  // A '#' inside a token is part of it.
  table = TokenTable::Parse("abc#defghijklmnopq team-a client", "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(table->Find("abc#defghijklmnopq").has_value());
}

TEST(TokenTableTest, BadTenantsAndRolesAreRefused) {
  absl::Status status = ParseError(absl::StrCat(kTokenA, " ../etc admin"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("tokens:1: the tenant"));
  EXPECT_THAT(status.message(), Not(HasSubstr("../etc")));

  status = ParseError(absl::StrCat("\n", kTokenA, " team-a root"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("tokens:2: the role (third field) must be client, "
                        "worker or admin"));
}

TEST(TokenTableTest, WeakOrOddTokensAreRefused) {
  absl::Status status = ParseError("short-token-15c team-a admin");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("shorter than 16 characters"));

  EXPECT_TRUE(ParseError("exactly-16-chars team-a admin").ok());

  status = ParseError("token-with-\x7f-delete team-a admin");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("outside visible ASCII"));

  status = ParseError("token-with-\xc3\xa9-accent team-a admin");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("outside visible ASCII"));

  status = ParseError(std::string(4097, 't') + " team-a admin");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("longer than 4096"));
}

TEST(TokenTableTest, DuplicateTokensNameBothLines) {
  absl::Status status =
      ParseError(absl::StrCat(kTokenA, " team-a admin\n", kTokenB,
                              " team-b client\n", kTokenA, " team-c client\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("/etc/farm/tokens:3: this token is already on line 1"));
}

TEST(TokenTableTest, NoErrorQuotesATokenEvenInTheWrongField) {
  // Fields in the wrong order put the token where the tenant or role goes.
  const std::string token = "s3cr3t-but-misplaced-0123456789";
  for (const std::string& line :
       {absl::StrCat("team-a ", token, " admin"),
        absl::StrCat("team-a admin ", token), absl::StrCat(token, " team-a"),
        absl::StrCat(token, " ", token, " ", token),
        absl::StrCat(token, " team-a admin\n", token, " team-a admin")}) {
    absl::Status status = ParseError(line);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_THAT(status.message(), Not(HasSubstr(token)));
    EXPECT_THAT(status.message(), Not(HasSubstr("s3cr3t")));
  }
}

}  // namespace
}  // namespace farm::auth
