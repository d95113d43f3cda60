// Unit tests for the canonical text: the brief's examples, quoting, and that
// different instructions never render the same.
#include "dockerfile/format.h"

#include <set>

#include "dockerfile/instruction_parser.h"
#include "dockerfile/parser.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

std::string Canonical(absl::string_view text) {
  absl::StatusOr<Ast> ast = ParseAst(text, "Dockerfile");
  EXPECT_TRUE(ast.ok()) << ast.status();
  if (!ast.ok()) return "";
  absl::StatusOr<Instruction> in =
      ParseInstruction(ast->nodes.back(), "Dockerfile");
  EXPECT_TRUE(in.ok()) << in.status();
  return in.ok() ? CanonicalText(*in) : "";
}

TEST(FormatTest, Examples) {
  EXPECT_EQ(Canonical("copy --chown=1:1 --from=build /out /app"),
            "COPY --from=build --chown=1:1 /out /app");
  EXPECT_EQ(Canonical("RUN [ \"sh\", \"-c\", \"x\" ]"),
            "RUN [\"sh\",\"-c\",\"x\"]");
  EXPECT_EQ(Canonical("ENV A=1 B=two\\ words"),
            "ENV A=\"1\" B=\"two\\\\ words\"");
  EXPECT_EQ(Canonical("FROM --platform=linux/amd64 Alpine:3 as Build"),
            "FROM --platform=linux/amd64 Alpine:3 AS build");
  EXPECT_EQ(Canonical("RUN --network=default --security=sandbox make"),
            "RUN make");
  EXPECT_EQ(Canonical("HEALTHCHECK --timeout=90s --interval=1m CMD [\"c\"]"),
            "HEALTHCHECK --interval=1m0s --timeout=1m30s CMD [\"c\"]");
  EXPECT_EQ(Canonical("ADD --link=false --keep-git-dir=false a b"), "ADD a b");
  EXPECT_EQ(Canonical("COPY [\"-x\", \"#y\", \"a b\"]"),
            "COPY \"-x\" \"#y\" \"a b\"");
}

TEST(FormatTest, HeredocBodiesAreIdentity) {
  std::string a = Canonical("FROM x\nRUN <<EOF\necho a\nEOF\n");
  std::string b = Canonical("FROM x\nRUN <<EOF\necho b\nEOF\n");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, "RUN <<EOF <<EOF=\"echo a\\n\"");
}

TEST(FormatTest, SameMeaningRendersTheSame) {
  EXPECT_EQ(Canonical("ENV a b"), Canonical("ENV a=b"));
  EXPECT_EQ(Canonical("COPY --link=true a b"), Canonical("COPY --link a b"));
  EXPECT_EQ(Canonical("expose 80"), Canonical("EXPOSE  80"));
}

TEST(FormatTest, DistinctInstructionsRenderDistinctly) {
  const char* texts[] = {
      "RUN a b",
      "RUN [\"a b\"]",
      "RUN [\"a\", \"b\"]",
      "RUN -- --a",
      "RUN --network=none a",
      "COPY a b",
      "COPY [\"a\", \"b \"]",
      "COPY --link a b",
      "ENV a=b",
      "ENV \"a=b\"=c",
      "ENV a=\"b=c\"",
      "ARG a",
      "ARG a=",
      "CMD",
      "CMD []",
      "CMD [\"\"]",
      "VOLUME a b",
      "VOLUME [\"a b\"]",
      "WORKDIR \"a\"",
      "WORKDIR a",
  };
  std::set<std::string> seen;
  for (const char* text : texts) {
    std::string canonical = Canonical(std::string("FROM x\n") + text + "\n");
    EXPECT_TRUE(seen.insert(canonical).second)
        << text << " renders like another: " << canonical;
  }
}

}  // namespace
}  // namespace farm::dockerfile
