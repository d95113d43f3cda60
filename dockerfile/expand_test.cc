// Unit tests for Expand with the real shell lexer: where Docker substitutes,
// where it does not, the used/unset sets, and errors.
#include "dockerfile/expand.h"

#include <map>

#include "dockerfile/format.h"
#include "dockerfile/instruction_parser.h"
#include "dockerfile/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ExpandTest : public testing::Test {
 protected:
  // Parses the last instruction of `text` (after a FROM) and expands it.
  absl::StatusOr<ExpandedInstruction> Run(absl::string_view text,
                                          char escape = '\\') {
    absl::StatusOr<Ast> ast = ParseAst(text, "Dockerfile");
    if (!ast.ok()) return ast.status();
    absl::StatusOr<Instruction> in =
        ParseInstruction(ast->nodes.back(), "Dockerfile");
    if (!in.ok()) return in.status();
    ShellLexer lexer(escape);
    VarLookup lookup =
        [this](absl::string_view name) -> std::optional<std::string> {
      auto it = vars_.find(std::string(name));
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    return Expand(*in, lexer, lookup, "Dockerfile");
  }

  std::string Text(absl::string_view text) {
    absl::StatusOr<ExpandedInstruction> out = Run(text);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? CanonicalText(out->instruction) : "";
  }

  std::map<std::string, std::string> vars_ = {
      {"A", "hello"},  {"B", "two words"}, {"PORT", "8080 9090/udp"},
      {"USER", "app"}, {"DIR", "/srv"},    {"EMPTY", ""}};
};

TEST_F(ExpandTest, EnvSeesTheLookupBeforeTheInstruction) {
  absl::StatusOr<ExpandedInstruction> out =
      Run("FROM x\nENV A=bye C=$A ${B}_k=\"$B\"\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(CanonicalText(out->instruction),
            "ENV A=\"bye\" C=\"hello\" \"two words_k\"=\"two words\"");
  EXPECT_THAT(out->used, ElementsAre("A", "B"));
  EXPECT_THAT(out->unset, IsEmpty());
}

TEST_F(ExpandTest, ReportsUnsetVariables) {
  absl::StatusOr<ExpandedInstruction> out =
      Run("FROM x\nWORKDIR $DIR/${NOPE:-app}/$MISSING\n");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(CanonicalText(out->instruction), "WORKDIR /srv/app/");
  EXPECT_THAT(out->used, ElementsAre("DIR"));
  EXPECT_THAT(out->unset, ElementsAre("MISSING", "NOPE"));
}

TEST_F(ExpandTest, CommandsAreLeftToTheShell) {
  EXPECT_EQ(Text("FROM x\nRUN echo $A\n"), "RUN echo $A");
  EXPECT_EQ(Text("FROM x\nCMD [\"echo\", \"$A\"]\n"), "CMD [\"echo\",\"$A\"]");
  EXPECT_EQ(Text("FROM x\nENTRYPOINT echo $A\n"), "ENTRYPOINT echo $A");
  EXPECT_EQ(Text("FROM x\nSHELL [\"$A\"]\n"), "SHELL [\"$A\"]");
  EXPECT_EQ(Text("FROM x\nHEALTHCHECK CMD echo $A\n"),
            "HEALTHCHECK CMD echo $A");
  EXPECT_EQ(Text("FROM x\nONBUILD WORKDIR $A\n"), "ONBUILD WORKDIR $A");
  EXPECT_EQ(Text("FROM x\nMAINTAINER $A\n"), "MAINTAINER $A");
}

TEST_F(ExpandTest, CopyFlagsPathsAndHeredocs) {
  EXPECT_EQ(Text("FROM x\nCOPY --from=$A --chown=$USER:$USER --chmod=7${EMPTY}"
                 "55 --exclude=*.$A $A/* $DIR/\n"),
            "COPY --from=$A --chown=app:app --chmod=755 --exclude=*.hello "
            "hello/* /srv/");
  // In an unquoted heredoc body quotes are text ('$A' expands too) and a
  // backslash escapes the next character, as BuildKit's raw pass does.
  EXPECT_EQ(Text("FROM x\nCOPY <<EOF /f\n\"$A\" '$A' \\n \\$A\nEOF\n"),
            "COPY <<EOF /f <<EOF=\"\\\"hello\\\" 'hello' n $A\\n\"");
  EXPECT_EQ(Text("FROM x\nCOPY <<'EOF' /f\n$A\nEOF\n"),
            "COPY <<\"EOF\" /f <<EOF=\"$A\\n\"");
  EXPECT_EQ(Text("FROM x\nADD --checksum=$A --chown=$USER src $DIR\n"),
            "ADD --chown=app --checksum=hello src /srv");
  // RUN heredocs stay for the shell.
  EXPECT_EQ(Text("FROM x\nRUN <<EOF\necho $A\nEOF\n"),
            "RUN <<EOF <<EOF=\"echo $A\\n\"");
}

TEST_F(ExpandTest, RunMountsAreParsedWithExpandedValues) {
  absl::StatusOr<ExpandedInstruction> out =
      Run("FROM x\nRUN --mount=type=cache,target=$DIR/cache,id=$A "
          "--mount=type=secret,id=tok make\n");
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* run = out->instruction.As<RunInstruction>();
  ASSERT_EQ(run->mounts.size(), 2u);
  EXPECT_EQ(run->mounts[0].target, "/srv/cache");
  EXPECT_EQ(run->mounts[0].id, "hello");
  EXPECT_EQ(CanonicalText(out->instruction),
            "RUN --mount=type=cache,target=/srv/cache,id=hello "
            "--mount=type=secret,id=tok make");
  absl::StatusOr<ExpandedInstruction> bad =
      Run("FROM x\n\nRUN --mount=type=$A true\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:3: unsupported mount type \"hello\"");
}

TEST_F(ExpandTest, ExposeSplitsAndValidates) {
  // Docker sorts the ports as written ("$PORT" < "80"), then expands.
  EXPECT_EQ(Text("FROM x\nEXPOSE 80 $PORT\n"), "EXPOSE 8080 9090/udp 80");
  absl::StatusOr<ExpandedInstruction> bad = Run("FROM x\nEXPOSE $A\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:2: invalid containerPort: hello");
}

TEST_F(ExpandTest, OtherInstructions) {
  EXPECT_EQ(Text("FROM x\nLABEL \"$A\"=\"$B\"\n"), "LABEL hello=\"two words\"");
  EXPECT_EQ(Text("FROM x\nUSER $USER:${USER}\n"), "USER app:app");
  EXPECT_EQ(Text("FROM x\nVOLUME $DIR/a \"$B\"\n"),
            "VOLUME /srv/a \"two words\"");
  EXPECT_EQ(Text("FROM x\nARG $A=$B Z\n"), "ARG hello=\"two words\" Z");
  EXPECT_EQ(Text("FROM x\nSTOPSIGNAL SIG${USER:+TERM}\n"),
            "STOPSIGNAL SIGTERM");
  EXPECT_EQ(Text("FROM --platform=linux/$A img:$A AS Stage\n"),
            "FROM --platform=linux/hello img:hello AS stage");
  absl::StatusOr<ExpandedInstruction> bad = Run("FROM x\nSTOPSIGNAL $A\n");
  EXPECT_EQ(bad.status().message(), "Dockerfile:2: invalid signal: hello");
  bad = Run("FROM x\nWORKDIR ${NOPE:?must be set}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              testing::StartsWith("Dockerfile:2: "));
  EXPECT_THAT(std::string(bad.status().message()),
              testing::HasSubstr("must be set"));
}

TEST_F(ExpandTest, BacktickEscape) {
  absl::StatusOr<ExpandedInstruction> out =
      Run("# escape=`\nFROM x\nWORKDIR c:\\dir\\`$A\n", '`');
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(CanonicalText(out->instruction), "WORKDIR c:\\dir\\$A");
}

}  // namespace
}  // namespace farm::dockerfile
