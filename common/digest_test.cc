#include "common/digest.h"

#include "gtest/gtest.h"

namespace farm {
namespace {

TEST(DigestTest, HashesKnownVectors) {
  EXPECT_EQ(Digest::Of("").ToString(),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest::Of("abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, IncrementalEqualsOneShot) {
  Sha256Hasher hasher;
  hasher.Update("hello ");
  hasher.Update("world");
  EXPECT_EQ(hasher.bytes(), 11u);
  EXPECT_EQ(hasher.Finish(), Digest::Of("hello world"));
}

TEST(DigestTest, ParseRoundTrips) {
  Digest d = Digest::Of("x");
  auto parsed = Digest::Parse(d.ToString());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, d);
}

TEST(DigestTest, ParseRejectsBadInput) {
  auto wrong_algo = Digest::Parse("md5:abcd");
  EXPECT_EQ(wrong_algo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_algo.status().message().find("md5:abcd"), std::string::npos);
  EXPECT_FALSE(Digest::Parse("sha256:ABC").ok());
  EXPECT_FALSE(Digest::Parse(std::string("sha256:") + std::string(64, 'G')).ok());
  EXPECT_FALSE(Digest::Parse(std::string("sha256:") + std::string(63, 'a')).ok());
}

TEST(DigestTest, RawHexAndOrderAgree) {
  Digest a = Digest::Of("a");
  EXPECT_EQ(a.raw().size(), 32u);
  EXPECT_EQ(Digest::FromRawSha256(a.raw()), a);
  auto from_hex = Digest::ParseHex(a.hex());
  ASSERT_TRUE(from_hex.ok()) << from_hex.status();
  EXPECT_EQ(*from_hex, a);
  EXPECT_FALSE(Digest::ParseHex(a.ToString()).ok());
  // Sorted digests sort as their hex text does, which listings rely on.
  for (const char* other : {"b", "c", "d", "e", "f"}) {
    Digest b = Digest::Of(other);
    EXPECT_EQ(a < b, a.hex() < b.hex()) << other;
    EXPECT_EQ(b < a, b.hex() < a.hex()) << other;
  }
  Digest empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.hex(), "");
  EXPECT_NE(empty, Digest::FromRawSha256(std::string(32, '\0')));
}

}  // namespace
}  // namespace farm
