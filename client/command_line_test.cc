#include "client/command_line.h"

#include "gtest/gtest.h"

namespace farm::client {
namespace {

FlagSpec BuildSpec() {
  FlagSpec spec;
  spec.with_value = {"tag", "file", "build-arg"};
  spec.boolean = {"no-cache"};
  spec.aliases = {{"t", "tag"}, {"f", "file"}};
  return spec;
}

TEST(CommandLineTest, ReadsDockerStyleFlags) {
  auto cli = CommandLine::Parse({"-t", "a:1", "--tag=b:2", "--no-cache",
                                 "--build-arg", "X=1", "-f=df", "ctx"},
                                BuildSpec());
  ASSERT_TRUE(cli.ok()) << cli.status();
  EXPECT_EQ(cli->GetAll("tag"), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(cli->Has("no-cache"));
  EXPECT_EQ(cli->Get("file"), "df");
  EXPECT_EQ(cli->Get("build-arg"), "X=1");
  EXPECT_EQ(cli->positional(), std::vector<std::string>{"ctx"});
  EXPECT_EQ(cli->Get("missing", "dflt"), "dflt");
}

TEST(CommandLineTest, RejectsUnknownFlagsAndMissingValues) {
  auto unknown = CommandLine::Parse({"--bogus", "ctx"}, BuildSpec());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "unknown flag: --bogus");
  auto missing = CommandLine::Parse({"ctx", "-t"}, BuildSpec());
  EXPECT_EQ(missing.status().message(), "flag needs an argument: -t");
  auto bad_bool = CommandLine::Parse({"--no-cache=maybe"}, BuildSpec());
  EXPECT_FALSE(bad_bool.ok());
}

TEST(CommandLineTest, StopsAtPositionalWhenAsked) {
  FlagSpec spec;
  spec.boolean = {"rm"};
  spec.stop_at_positional = true;
  auto cli = CommandLine::Parse({"--rm", "img", "ls", "-l"}, spec);
  ASSERT_TRUE(cli.ok()) << cli.status();
  EXPECT_TRUE(cli->Has("rm"));
  EXPECT_EQ(cli->positional(), (std::vector<std::string>{"img", "ls", "-l"}));
}

TEST(CommandLineTest, DoubleDashEndsFlags) {
  auto cli = CommandLine::Parse({"--", "-t"}, BuildSpec());
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(cli->positional(), std::vector<std::string>{"-t"});
}

}  // namespace
}  // namespace farm::client
