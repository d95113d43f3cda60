// Unit tests for the text-level parser: line reading, directives, flags,
// argument rules, JSON arrays, heredocs and the syntax tree it builds.
#include "dockerfile/parser.h"

#include "dockerfile/arg_parsers.h"
#include "dockerfile/builder_flags.h"
#include "dockerfile/directives.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/json_array.h"
#include "dockerfile/line_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Ast MustParse(absl::string_view text) {
  absl::StatusOr<Ast> ast = ParseAst(text, "Dockerfile");
  EXPECT_TRUE(ast.ok()) << ast.status();
  return ast.ok() ? *std::move(ast) : Ast{};
}

TEST(LineReaderTest, KeepsLineEndingsAndCountsLines) {
  LineReader reader(
      "\xEF\xBB\xBF"
      "a\r\nb\nc");
  absl::string_view line;
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line, "a\r\n");
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line, "b\n");
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line, "c");
  EXPECT_EQ(reader.line_number(), 3);
  EXPECT_FALSE(reader.Next(&line));
}

TEST(LineReaderTest, ContinuationRules) {
  struct Case {
    std::string line;
    char escape;
    bool continues;
    std::string rest;
  } cases[] = {
      {"RUN a \\", '\\', true, "RUN a "},
      {"RUN a \\  \t", '\\', true, "RUN a "},
      {"RUN a\\\\", '\\', false, "RUN a\\\\"},
      {"\\", '\\', true, ""},
      {"RUN a `", '`', true, "RUN a "},
      {"RUN a \\", '`', false, "RUN a \\"},
      {"RUN a", '\\', false, "RUN a"},
  };
  for (Case& c : cases) {
    std::string line = c.line;
    EXPECT_EQ(TrimContinuation(c.escape, &line), c.continues) << c.line;
    EXPECT_EQ(line, c.rest) << c.line;
  }
  EXPECT_TRUE(IsCommentLine("   # x"));
  EXPECT_FALSE(IsCommentLine("RUN # x"));
  EXPECT_TRUE(IsBlankLine(" \t\r\n"));
}

TEST(DirectiveScannerTest, ReadsDirectivesUntilFirstOtherLine) {
  DirectiveScanner scanner;
  ASSERT_TRUE(scanner.Feed("#  SYNTAX = docker/dockerfile:1 ", 1).ok());
  ASSERT_TRUE(scanner.Feed("# escape=`", 2).ok());
  ASSERT_TRUE(scanner.Feed("# not a directive", 3).ok());
  ASSERT_TRUE(scanner.Feed("# check=skip=all", 4).ok());
  EXPECT_TRUE(scanner.done());
  const Directives& d = scanner.directives();
  ASSERT_TRUE(d.syntax.has_value());
  EXPECT_EQ(d.syntax->value, "docker/dockerfile:1");
  EXPECT_EQ(d.syntax->line, 1);
  EXPECT_EQ(d.escape_char, '`');
  EXPECT_FALSE(d.check.has_value());
}

TEST(DirectiveScannerTest, RejectsRepeatsAndBadEscape) {
  DirectiveScanner twice;
  ASSERT_TRUE(twice.Feed("# syntax=a", 1).ok());
  absl::Status status = twice.Feed("# Syntax=b", 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "only one syntax parser directive can be used");

  DirectiveScanner bad;
  status = bad.Feed("# escape=/", 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("invalid escape token '/'"));
}

TEST(DirectiveScannerTest, CheckOptions) {
  absl::StatusOr<CheckOptions> options =
      ParseCheckOptions("skip=A, B;error=true");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->skip, ElementsAre("A", "B"));
  EXPECT_TRUE(options->error);
  EXPECT_EQ(ParseCheckOptions("error=maybe").status().message(),
            "failed to parse check option \"error=maybe\"");
  EXPECT_EQ(ParseCheckOptions("bogus=1").status().message(),
            "invalid check option \"bogus\"");
}

TEST(BuilderFlagsTest, ExtractsLeadingFlagsOnly) {
  std::vector<std::string> flags;
  std::string rest = ExtractBuilderFlags(
      "--from=build --chown=\"a b\" --x=\\\"y src --not-a-flag dst", &flags);
  EXPECT_THAT(flags, ElementsAre("--from=build", "--chown=a b", "--x=\"y"));
  EXPECT_EQ(rest, "src --not-a-flag dst");

  flags.clear();
  EXPECT_EQ(ExtractBuilderFlags("--link -- --weird", &flags), " --weird");
  EXPECT_THAT(flags, ElementsAre("--link"));

  flags.clear();
  EXPECT_EQ(ExtractBuilderFlags("-x --y", &flags), "-x --y");
  EXPECT_TRUE(flags.empty());
}

TEST(BuilderFlagsTest, FlagSetParsesAndReportsErrors) {
  FlagSet flags({"--link", "--from=a", "--exclude=x", "--exclude=y"});
  flags.AddBool("link");
  flags.AddString("from");
  flags.AddStrings("exclude");
  flags.AddString("chmod", "0644");
  ASSERT_TRUE(flags.Parse().ok());
  EXPECT_TRUE(flags.Bool("link"));
  EXPECT_EQ(flags.String("from"), "a");
  EXPECT_EQ(flags.String("chmod"), "0644");
  EXPECT_FALSE(flags.Used("chmod"));
  EXPECT_THAT(flags.Strings("exclude"), ElementsAre("x", "y"));

  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--lnk"}, "unknown flag: lnk (did you mean link?)"},
      {{"--from=a", "--from=b"}, "duplicate flag specified: from"},
      {{"--from"}, "missing a value on flag: from"},
      {{"--link="}, "missing a value on flag: link"},
      {{"--link=yes"}, "expecting boolean value for flag link, not: yes"},
  };
  for (const Case& c : cases) {
    FlagSet set(c.args);
    set.AddBool("link");
    set.AddString("from");
    absl::Status status = set.Parse();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

TEST(ArgParsersTest, WordsKeepQuotesAndEscapes) {
  EXPECT_THAT(ParseWords("a=\"b c\" d\\ e 'f g'", '\\'),
              ElementsAre("a=\"b c\"", "d\\ e", "'f g'"));
  EXPECT_THAT(ParseWords("x`  y", '`'), ElementsAre("x` ", "y"));
  EXPECT_THAT(ParseWords("a \"\"", '\\'), ElementsAre("a", "\"\""));
  // Invalid UTF-8 decodes as U+FFFD, as in Go.
  EXPECT_THAT(ParseWords("\xff", '\\'), ElementsAre("\xEF\xBF\xBD"));
}

TEST(ArgParsersTest, KeyValueForms) {
  absl::StatusOr<ParsedArgs> modern =
      ParseKeyValues("A=1 B=\"x y\"", "ENV", '\\');
  ASSERT_TRUE(modern.ok());
  EXPECT_THAT(modern->args, ElementsAre("A", "1", "=", "B", "\"x y\"", "="));
  absl::StatusOr<ParsedArgs> legacy =
      ParseKeyValues("ONE TWO= THREE=world", "ENV", '\\');
  ASSERT_TRUE(legacy.ok());
  EXPECT_THAT(legacy->args, ElementsAre("ONE", "TWO= THREE=world", ""));
  EXPECT_EQ(ParseKeyValues("lonely", "LABEL", '\\').status().message(),
            "LABEL must have two arguments");
}

TEST(JsonArrayTest, FollowsGoEncodingJson) {
  std::vector<std::string> out;
  EXPECT_EQ(ParseJsonStringArray(" [\"a\", \"\\u00e9\\n\"] ", &out),
            JsonArrayResult::kStrings);
  EXPECT_THAT(out, ElementsAre("a", "\xC3\xA9\n"));
  EXPECT_EQ(ParseJsonStringArray("[\"\\ud83d\\ude00\", \"\\ud800\"]", &out),
            JsonArrayResult::kStrings);
  EXPECT_THAT(out, ElementsAre("\xF0\x9F\x98\x80", "\xEF\xBF\xBD"));
  EXPECT_EQ(ParseJsonStringArray("[]", &out), JsonArrayResult::kStrings);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ParseJsonStringArray("[\"a\",]", &out), JsonArrayResult::kNotJson);
  EXPECT_EQ(ParseJsonStringArray("[\"a\"] x", &out), JsonArrayResult::kNotJson);
  EXPECT_EQ(ParseJsonStringArray("[\"\\x\"]", &out), JsonArrayResult::kNotJson);
  EXPECT_EQ(ParseJsonStringArray("['a']", &out), JsonArrayResult::kNotJson);
  EXPECT_EQ(ParseJsonStringArray("[\"a\", {\"k\": [1, true, null]}]", &out),
            JsonArrayResult::kNotStrings);
  EXPECT_EQ(ParseJsonStringArray("[1e5, -0.5]", &out),
            JsonArrayResult::kNotStrings);
  EXPECT_EQ(ParseJsonStringArray("[01]", &out), JsonArrayResult::kNotJson);
  EXPECT_EQ(ParseJsonStringArray(std::string(20000, '['), &out),
            JsonArrayResult::kNotJson);
  EXPECT_EQ(FormatJsonArray({"sh", "-c", "echo \"hi\"\n"}),
            "[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\"]");
}

TEST(HeredocTest, ParsesDelimiterWords) {
  std::optional<Heredoc> h = ParseHeredocWord("<<-\"EOF\"");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->name, "EOF");
  EXPECT_TRUE(h->chomp);
  EXPECT_FALSE(h->expand);
  h = ParseHeredocWord("12<<END");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->fd, 12);
  EXPECT_TRUE(h->expand);
  EXPECT_FALSE(ParseHeredocWord("<<").has_value());
  EXPECT_FALSE(ParseHeredocWord("<<<EOF").has_value());
  EXPECT_FALSE(ParseHeredocWord("a<<EOF").has_value());
  EXPECT_EQ(ChompHeredoc("\t\ta\n\tb\n c\t\n"), "a\nb\n c\t\n");
}

TEST(HeredocTest, FindsHeredocWordsOnALine) {
  std::vector<Heredoc> found =
      HeredocsInLine("RUN <<A cat && 2<<-'B' x \"<<C\" \\<<D");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "A");
  EXPECT_EQ(found[1].name, "B");
  EXPECT_EQ(found[1].fd, 2);
  EXPECT_TRUE(HeredocsInLine("RUN echo \"<<EOF").empty());
}

TEST(ParserTest, BuildsNodesWithLineRanges) {
  Ast ast = MustParse(
      "# syntax=x\n"
      "FROM a AS b\n"
      "RUN --mount=type=cache,target=/c \\\n"
      "  # comment\n"
      "  make <<EOF\n"
      "body $X\n"
      "EOF\n"
      "onbuild run echo\n");
  ASSERT_EQ(ast.nodes.size(), 3u);
  EXPECT_EQ(ast.directives.syntax->value, "x");
  const Node& run = ast.nodes[1];
  EXPECT_EQ(run.keyword, "RUN");
  EXPECT_EQ(run.start_line, 3);
  EXPECT_EQ(run.end_line, 7);
  EXPECT_THAT(run.flags, ElementsAre("--mount=type=cache,target=/c"));
  EXPECT_THAT(run.args, ElementsAre("make <<EOF"));
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].content, "body $X\n");
  const Node& onbuild = ast.nodes[2];
  ASSERT_EQ(onbuild.trigger.size(), 1u);
  EXPECT_EQ(onbuild.trigger[0].keyword, "run");
  EXPECT_THAT(onbuild.trigger[0].args, ElementsAre("echo"));
}

TEST(ParserTest, ErrorsCarryFileAndLine) {
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"FROM a\nRUN <<EOF\nx\n", "build.df:2: unterminated heredoc"},
      {"FROM a\nENV x\n", "build.df:2: ENV must have two arguments"},
      {"", "build.df:1: file with no instructions"},
      {"FROM a\nCMD [1]\n",
       "build.df:2: when using JSON array syntax, arrays must be comprised of "
       "strings only"},
      {"FROM a\nRUN " + std::string(70000, 'x') + "\n",
       "build.df:2: dockerfile line greater than max allowed size of 65535"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Ast> ast = ParseAst(c.text, "build.df");
    ASSERT_FALSE(ast.ok()) << c.message;
    EXPECT_EQ(ast.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ast.status().message(), c.message);
  }
}

TEST(ParserTest, EmptyContinuationLineWarns) {
  Ast ast = MustParse("FROM a\nRUN x \\\n\n  y\n");
  ASSERT_EQ(ast.warnings.size(), 1u);
  EXPECT_EQ(ast.warnings[0].rule, "NoEmptyContinuation");
  EXPECT_EQ(ast.warnings[0].line, 4);
  EXPECT_EQ(ast.nodes[1].args[0], "x   y");
}

}  // namespace
}  // namespace farm::dockerfile
