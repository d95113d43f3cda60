#include "dockerfile/shell_lexer.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using Env = std::map<std::string, std::string>;
using Names = std::set<std::string>;

VarLookup LookupIn(const Env& env) {
  return [&env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// One ProcessWord case. `error` non-null means kInvalidArgument with that
// text in the message; otherwise `want`, `used` and `unset` must match.
struct WordCase {
  const char* input;
  Env env;
  const char* want;
  Names used = {};
  Names unset = {};
  const char* error = nullptr;
};

void CheckWord(const ShellLexer& lexer, const WordCase& c) {
  SCOPED_TRACE(c.input);
  absl::StatusOr<Expansion> got = lexer.ProcessWord(c.input, LookupIn(c.env));
  if (c.error != nullptr) {
    ASSERT_FALSE(got.ok()) << "expanded to " << got->word;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(c.error));
    EXPECT_THAT(got.status().message(), HasSubstr("failed to process"));
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->word, c.want);
  EXPECT_EQ(got->used, c.used);
  EXPECT_EQ(got->unset, c.unset);
}

const Env kPath = {{"v", "a/b/c.tar.gz"}};

// Default escape character '\'.
const std::vector<WordCase> kBackslashCases = {
    // Plain names and braces.
    {"hello world", {}, "hello world"},
    {"$v", {{"v", "val"}}, "val", {"v"}},
    {"${v}", {{"v", "val"}}, "val", {"v"}},
    {"pre${v}post", {{"v", "val"}}, "prevalpost", {"v"}},
    {"$vx", {{"v", "val"}}, "", {}, {"vx"}},
    {"$v.x", {{"v", "val"}}, "val.x", {"v"}},
    {"$v", {}, "", {}, {"v"}},
    {"${v}", {{"v", ""}}, "", {"v"}},
    // Default and alternative values, with and without the colon.
    {"${v:-w}", {}, "w", {}, {"v"}},
    {"${v:-w}", {{"v", ""}}, "w", {"v"}},
    {"${v:-w}", {{"v", "x"}}, "x", {"v"}},
    {"${v-w}", {{"v", ""}}, "", {"v"}},
    {"${v-w}", {}, "w", {}, {"v"}},
    {"${v:+w}", {{"v", "x"}}, "w", {"v"}},
    {"${v:+w}", {{"v", ""}}, "", {"v"}},
    {"${v+w}", {{"v", ""}}, "w", {"v"}},
    {"${v+w}", {}, "", {}, {"v"}},
    {"${v:-a b}", {}, "a b", {}, {"v"}},
    // Required values.
    {"${v:?needed}", {{"v", "x"}}, "x", {"v"}},
    {"${v?needed}", {{"v", ""}}, "", {"v"}},
    {"${v:?needed $w}",
     {{"v", ""}, {"w", "now"}},
     nullptr,
     {},
     {},
     "v: needed now"},
    {"${v?needed}", {}, nullptr, {}, {}, "v: needed"},
    {"${v:?}", {{"v", ""}}, nullptr, {}, {}, "v: is not allowed to be empty"},
    {"${v:?}", {}, nullptr, {}, {}, "v: is not allowed to be unset"},
    {"${v?}", {}, nullptr, {}, {}, "v: is not allowed to be unset"},
    // Prefix and suffix removal: shortest and longest.
    {"${v#*/}", kPath, "b/c.tar.gz", {"v"}},
    {"${v##*/}", kPath, "c.tar.gz", {"v"}},
    {"${v%.*}", kPath, "a/b/c.tar", {"v"}},
    {"${v%%.*}", kPath, "a/b/c", {"v"}},
    {"${v#?/}", kPath, "b/c.tar.gz", {"v"}},
    {"${v#x}", kPath, "a/b/c.tar.gz", {"v"}},
    {"${v#*}", kPath, "a/b/c.tar.gz", {"v"}},
    {"${v##*}", kPath, "", {"v"}},
    {"${v#$p}", {{"v", "xxyy"}, {"p", "x"}}, "xyy", {"p", "v"}},
    {"${v%%\\**\\*}", {{"v", "a***yy*"}}, "a", {"v"}},
    {"${v#?\\?}", {{"v", "???y"}}, "?y", {"v"}},
    {"${v#()[]{\\}^$.\\*\\?|\\\\}", {{"v", "()[]{}^$.*?|\\x"}}, "x", {"v"}},
    {"${u#x}", {}, "", {}, {"u"}},
    // '*' and '?' do not cross a newline (they are Go's ".*" and ".").
    {"${v##*}", {{"v", "ab\ncd"}}, "\ncd", {"v"}},
    {"${v%%*}", {{"v", "ab\ncd"}}, "ab\n", {"v"}},
    // '?' is one character, not one byte.
    {"${v#?}", {{"v", "\xED\x95\x9C\xEA\xB5\xAD"}}, "\xEA\xB5\xAD", {"v"}},
    {"${v%?}", {{"v", "\xED\x95\x9C\xEA\xB5\xAD"}}, "\xED\x95\x9C", {"v"}},
    // Brackets are literal by default, as in BuildKit.
    {"${v#[ab]}", {{"v", "[ab]x"}}, "x", {"v"}},
    {"${v#[ab]}", {{"v", "ax"}}, "ax", {"v"}},
    // Replacement.
    {"${v/b/X}", {{"v", "abcb"}}, "aXcb", {"v"}},
    {"${v//b/X}", {{"v", "abcb"}}, "aXcX", {"v"}},
    {"${v/b*/X}", {{"v", "abcb"}}, "aX", {"v"}},
    {"${v//\\//-}", kPath, "a-b-c.tar.gz", {"v"}},
    {"${v//\\//\\/}", {{"v", "/tmp/foo.txt"}}, "\\/tmp\\/foo.txt", {"v"}},
    {"${v/$n/$r}",
     {{"v", "http://example.com"}, {"n", "http://"}, {"r", "https://"}},
     "https://example.com",
     {"n", "r", "v"}},
    {"${v/$n/.} - ${v//$n/.}",
     {{"v", "/foo*/*/*.txt"}, {"n", "\\*/"}},
     "/foo.*/*.txt - /foo..*.txt",
     {"n", "v"}},
    {"${v/$e/ww}", {{"v", "xxyy"}, {"e", ""}}, "wwxxyy", {"e", "v"}},
    {"${v///}", {{"v", "xxyy"}}, "xxyy", {"v"}},
    {"${v///-}", {{"v", "ab"}}, "-a-b-", {"v"}},
    {"${v//*/X}", {{"v", "ab"}}, "X", {"v"}},
    {"${v/b/'<$0>'}", {{"v", "abc"}}, "a<$0>c", {"v"}},
    {"${v//b/'<$0|$$|$x>'}", {{"v", "abc"}}, "a<b|$|>c", {"v"}},
    {"${v//}", {{"v", "xxyy"}}, nullptr, {}, {}, "missing '/' in ${}"},
    {"${v//ww}", {{"v", "xxyy"}}, nullptr, {}, {}, "missing '/' in ${}"},
    // Nesting: the word is always expanded, so its names are reported.
    {"${a:-${b}}", {{"b", "B"}}, "B", {"b"}, {"a"}},
    {"${a:-${b:-deep}}", {}, "deep", {}, {"a", "b"}},
    {"${a:+${b}}", {{"a", "1"}}, "", {"a"}, {"b"}},
    {"${a:-x${b:+[${c}]}y}",
     {{"b", "1"}, {"c", "C"}},
     "x[C]y",
     {"b", "c"},
     {"a"}},
    // Quotes.
    {"'$v ${v}'", {{"v", "val"}}, "$v ${v}"},
    {"\"$v ${v}\"", {{"v", "val"}}, "val val", {"v"}},
    {"\"a 'b' c\"", {}, "a 'b' c"},
    {"'a \"b\" c'", {}, "a \"b\" c"},
    {"a'b'\"c\"d", {}, "abcd"},
    {"${v:-'}'}", {}, "}", {}, {"v"}},
    // Escapes, outside and inside double quotes.
    {"\\$v", {{"v", "val"}}, "$v"},
    {"a\\ b\\'c", {}, "a b'c"},
    {"\\\\", {}, "\\"},
    {"abc\\", {}, "abc"},
    {"\"\\$v \\\" \\\\ \\a\"", {{"v", "val"}}, "$v \" \\ \\a"},
    {"${v:-a\\}b}", {}, "a}b", {}, {"v"}},
    // '$' that starts no name, positional and special parameters.
    {"$", {}, "$"},
    {"a$ b$/c$", {}, "a$ b$/c$"},
    {"\"$\"", {}, "$"},
    {"$12ab", {{"1", "one"}}, "ab", {}, {"12"}},
    {"$1x", {{"1", "one"}}, "onex", {"1"}},
    {"$@-$#", {{"#", "3"}}, "-3", {"#"}, {"@"}},
    {"${?}", {}, "", {}, {"?"}},
    {"$\xED\x95\x9C", {{"\xED\x95\x9C", "k"}}, "k", {"\xED\x95\x9C"}},
    // Malformed input.
    {"\"abc", {}, nullptr, {}, {}, "matching double-quote"},
    {"'abc", {}, nullptr, {}, {}, "matching single-quote"},
    {"${v", {}, nullptr, {}, {}, "syntax error: missing '}'"},
    {"${v:-abc", {}, nullptr, {}, {}, "syntax error: missing '}'"},
    {"${v:-\"a}", {}, nullptr, {}, {}, "syntax error: missing '}'"},
    {"${", {}, nullptr, {}, {}, "syntax error: missing '}'"},
    {"${}", {}, nullptr, {}, {}, "bad substitution"},
    {"${:-x}", {}, nullptr, {}, {}, "bad substitution"},
    {"${{v}}", {}, nullptr, {}, {}, "bad substitution"},
    {"${v:x}",
     {},
     nullptr,
     {},
     {},
     "unsupported modifier (:x) in substitution"},
    {"${v=x}", {}, nullptr, {}, {}, "unsupported modifier (=) in substitution"},
    {"${v:=x}", {}, nullptr, {}, {}, "unsupported modifier (:=)"},
    {"${v:#x}", {}, nullptr, {}, {}, "unsupported modifier (:#)"},
    {"${#v}", {}, nullptr, {}, {}, "unsupported modifier (v)"},
    {"${v#\\x}",
     {{"v", "x"}},
     nullptr,
     {},
     {},
     "invalid pattern (\\x) in substitution: invalid escape '\\x'"},
};

TEST(ShellLexerTest, ExpandsLikeBuildKit) {
  ShellLexer lexer;
  for (const WordCase& c : kBackslashCases) CheckWord(lexer, c);
}

// '# escape=`' (Windows style): the backtick escapes, backslash is text.
const std::vector<WordCase> kBacktickCases = {
    {"`$v", {{"v", "val"}}, "$v"},
    {"C:\\dir\\$v", {{"v", "val"}}, "C:\\dir\\val", {"v"}},
    {"\"C:\\dir\\$v\"", {{"v", "val"}}, "C:\\dir\\val", {"v"}},
    {"\"a`\"b`$v``c`d\"", {{"v", "val"}}, "a\"b$v`c`d"},
    {"a` b", {}, "a b"},
    {"${v:-x`}y}", {}, "x}y", {}, {"v"}},
    // Patterns always escape with '\'; a raw backtick is literal there.
    {"${v#\\*}", {{"v", "*x"}}, "x", {"v"}},
    {"${v#`*}", {{"v", "`abc"}}, "abc", {"v"}},
    {"\"abc`\"", {}, nullptr, {}, {}, "matching double-quote"},
};

TEST(ShellLexerTest, BacktickEscape) {
  ShellLexer lexer('`');
  for (const WordCase& c : kBacktickCases) CheckWord(lexer, c);
}

TEST(ShellLexerTest, KeepQuotesKeepsThemButStillQuotes) {
  ShellLexer::Options options;
  options.keep_quotes = true;
  CheckWord(ShellLexer('\\', options),
            {"'a $v' \"b $v\"", {{"v", "val"}}, "'a $v' \"b val\"", {"v"}});
}

TEST(ShellLexerTest, KeepEscapes) {
  ShellLexer::Options options;
  options.keep_escapes = true;
  // Inside quotes an escape before an ordinary character is written twice,
  // as BuildKit does (the pattern parser then reads it as one '\').
  CheckWord(ShellLexer('\\', options),
            {"a\\ b\\$v \"\\$v\\q\"", {{"v", "val"}}, "a\\ b\\$v \\$v\\\\q"});
}

TEST(ShellLexerTest, LiteralQuotesExpandInsideQuotes) {
  ShellLexer::Options options;
  options.literal_quotes = true;
  const ShellLexer lexer('\\', options);
  CheckWord(lexer, {"echo '$v' \"$v\" \\$v",
                    {{"v", "val"}},
                    "echo 'val' \"val\" $v",
                    {"v"}});
  // What BuildKit's heredoc tests expect of an expanded COPY <<EOF body:
  // quotes stay and do not stop expansion, escapes are still processed
  // ("\\" gives "\", "\$" gives "$", a final "\" vanishes).
  CheckWord(lexer, {"\"quotes in file\"\n\\\\\n\\$\n'${name}' \"${name}\"\n\\",
                    {{"name", "world"}},
                    "\"quotes in file\"\n\\\n$\n'world' \"world\"\n",
                    {"name"}});
}

TEST(ShellLexerTest, KeepUnsetLeavesReferencesAsWritten) {
  ShellLexer::Options options;
  options.keep_unset = true;
  CheckWord(ShellLexer('\\', options), {"$x ${x} ${x:-d} ${x//a/b} ${x:?m} $v",
                                        {{"v", "val"}},
                                        "$x ${x} ${x:-d} ${x//a/b} ${x:?m} val",
                                        {"v"},
                                        {"x"}});
}

TEST(ShellLexerTest, BracketPatternsWhenAsked) {
  ShellLexer::Options options;
  options.bracket_patterns = true;
  const ShellLexer lexer('\\', options);
  CheckWord(lexer, {"${v#[ab]}", {{"v", "bx"}}, "x", {"v"}});
  CheckWord(lexer, {"${v##[!0-9]*[0-9]}", {{"v", "ab12c"}}, "c", {"v"}});
  CheckWord(lexer, {"${v//[^a-c]/.}", {{"v", "abcdef"}}, "abc...", {"v"}});
  CheckWord(lexer, {"${v#\\[}", {{"v", "[x"}}, "x", {"v"}});
  // An unclosed bracket is an ordinary character, as in sh.
  CheckWord(lexer, {"${v#[a}", {{"v", "[ab"}}, "b", {"v"}});
}

// One ProcessWords case.
struct WordsCase {
  const char* input;
  Env env;
  std::vector<std::string> want;
};

TEST(ShellLexerTest, ProcessWordsSplitsLikeBuildKit) {
  const std::vector<WordsCase> cases = {
      {"a b  c", {}, {"a", "b", "c"}},
      {"  lead\ttrail  ", {}, {"lead", "trail"}},
      {"\"a b\" c", {}, {"a b", "c"}},
      {"'a  b'c d", {}, {"a  bc", "d"}},
      {"a\\ b c", {}, {"a b", "c"}},
      {"$v", {{"v", "x y"}}, {"x", "y"}},
      {"\"$v\"", {{"v", "x y"}}, {"x y"}},
      {"pre$v", {{"v", "1 2"}}, {"pre1", "2"}},
      {"\"$v\"post", {{"v", "1 2"}}, {"1 2post"}},
      {"${u:-a b}", {}, {"a", "b"}},
      {"$e a $e", {{"e", ""}}, {"a"}},
      {"\"\" a ''", {}, {"a"}},
      {"", {}, {}},
      {"80/tcp ${p}/udp", {{"p", "53"}}, {"80/tcp", "53/udp"}},
  };
  ShellLexer lexer;
  for (const WordsCase& c : cases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<ExpansionWords> got =
        lexer.ProcessWords(c.input, LookupIn(c.env));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(got->words, ElementsAreArray(c.want));
  }
}

TEST(ShellLexerTest, ProcessWordsReportsNamesAndErrors) {
  const Env env = {{"p", "80"}};
  ShellLexer lexer;
  absl::StatusOr<ExpansionWords> got =
      lexer.ProcessWords("$p ${q:-443}", LookupIn(env));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->words, ElementsAreArray({"80", "443"}));
  EXPECT_EQ(got->used, Names({"p"}));
  EXPECT_EQ(got->unset, Names({"q"}));

  got = lexer.ProcessWords("a \"b", LookupIn(env));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "failed to process \"a \\\"b\": unexpected end of statement "
            "while looking for matching double-quote");
}

TEST(ShellLexerTest, HugeValueReplaceIsLinearPerMatch) {
  // 200k characters and a pattern that backtracking would explore
  // quadratically per start; the span search keeps this fast.
  const Env env = {{"v", std::string(200000, 'a') + "b"}};
  ShellLexer lexer;
  absl::StatusOr<Expansion> got =
      lexer.ProcessWord("${v/*a*a*b/X}", LookupIn(env));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->word, "X");
}

}  // namespace
}  // namespace farm::dockerfile
