#include "worker/go_format.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace farm::worker {
namespace {

TEST(GoDurationTest, MatchesGoDurationString) {
  struct Case {
    int64_t nanos;
    const char* want;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {999, "999ns"},
      {1500, "1.5\xC2\xB5s"},
      {1000000, "1ms"},
      {1500000, "1.5ms"},
      {100000000, "100ms"},
      {1000000000, "1s"},
      {1500000000, "1.5s"},
      {30000000000, "30s"},
      {60000000000, "1m0s"},
      {90000000000, "1m30s"},
      {3600000000000, "1h0m0s"},
      {3661000000001, "1h1m1.000000001s"},
      {-3000000000, "-3s"},
      {-1, "-1ns"},
      {INT64_MIN, "-2562047h47m16.854775808s"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GoDuration(c.nanos), c.want) << c.nanos;
  }
}

TEST(GoQuoteTest, EscapesLikeStrconvQuote) {
  EXPECT_EQ(GoQuote(""), "\"\"");
  EXPECT_EQ(GoQuote("wget -q http://x/"), "\"wget -q http://x/\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("tab\tnl\ncr\rbell\a"), "\"tab\\tnl\\ncr\\rbell\\a\"");
  EXPECT_EQ(GoQuote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  // An invalid byte is escaped on its own; NBSP is not printable.
  EXPECT_EQ(GoQuote("\xff"
                    "a"),
            "\"\\xffa\"");
  EXPECT_EQ(GoQuote("\xC2\xA0"), "\"\\u00a0\"");
  EXPECT_EQ(GoQuote("\xE2\x80\xA8"), "\"\\u2028\"");
  EXPECT_EQ(GoQuote("'single'"), "\"'single'\"");
}

TEST(GoQuoteRuneTest, PrintsRuneLiterals) {
  EXPECT_EQ(GoQuoteRune(0), "'\\x00'");
  EXPECT_EQ(GoQuoteRune(2), "'\\x02'");
  EXPECT_EQ(GoQuoteRune(4), "'\\x04'");
  EXPECT_EQ(GoQuoteRune(10), "'\\n'");
  EXPECT_EQ(GoQuoteRune(65), "'A'");
  EXPECT_EQ(GoQuoteRune('\''), "'\\''");
  EXPECT_EQ(GoQuoteRune('"'), "'\"'");
  EXPECT_EQ(GoQuoteRune(0x2028), "'\\u2028'");
  EXPECT_EQ(GoQuoteRune(0x1F600), "'\xF0\x9F\x98\x80'");
  EXPECT_EQ(GoQuoteRune(0x110000), "'\xEF\xBF\xBD'");
  EXPECT_EQ(GoQuoteRune(-1), "'\xEF\xBF\xBD'");
}

TEST(GoListTest, FormatsSlices) {
  EXPECT_EQ(GoQuotedList({}), "[]");
  EXPECT_EQ(GoQuotedList({"echo", "a b", "c"}), "[\"echo\" \"a b\" \"c\"]");
  EXPECT_EQ(GoList({}), "[]");
  EXPECT_EQ(GoList({"/var/log", "/cache"}), "[/var/log /cache]");
}

}  // namespace
}  // namespace farm::worker
