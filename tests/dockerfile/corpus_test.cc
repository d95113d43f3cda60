// Table-driven parser test over the hand-written corpus in cases/. Each case
// is a directory with a Dockerfile and either ast.txt (the expected
// DumpDockerfile output) or error.txt (the expected error message).
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "dockerfile/ast_dump.h"
#include "dockerfile/dockerfile.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

std::string CasesDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return JoinPath(
      JoinPath(srcdir ? srcdir : ".", workspace ? workspace : "farm"),
      "tests/dockerfile/cases");
}

std::vector<std::string> CaseNames() {
  absl::StatusOr<std::vector<std::string>> names = ListDir(CasesDir());
  return names.ok() ? *names : std::vector<std::string>{};
}

// With FARM_UPDATE_GOLDEN set under `bazel run`, goldens are rewritten in
// the source tree instead of compared.
std::string UpdateDir() {
  const char* update = std::getenv("FARM_UPDATE_GOLDEN");
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (update == nullptr || workspace == nullptr) return "";
  return JoinPath(workspace, "tests/dockerfile/cases");
}

class CorpusTest : public testing::TestWithParam<std::string> {};

TEST_P(CorpusTest, MatchesGolden) {
  const std::string dir = JoinPath(CasesDir(), GetParam());
  absl::StatusOr<std::string> content = ReadFile(JoinPath(dir, "Dockerfile"));
  ASSERT_TRUE(content.ok()) << content.status();
  absl::StatusOr<Dockerfile> parsed = ParseDockerfile(*content, "Dockerfile");
  std::string actual_ast, actual_error;
  if (parsed.ok()) {
    actual_ast = DumpDockerfile(*parsed);
  } else {
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    actual_error = absl::StrCat(parsed.status().message(), "\n");
  }

  const std::string update = UpdateDir();
  if (!update.empty()) {
    const std::string out = JoinPath(update, GetParam());
    ASSERT_TRUE(RemoveAll(JoinPath(out, "ast.txt")).ok());
    ASSERT_TRUE(RemoveAll(JoinPath(out, "error.txt")).ok());
    if (parsed.ok()) {
      ASSERT_TRUE(WriteFile(JoinPath(out, "ast.txt"), actual_ast).ok());
    } else {
      ASSERT_TRUE(WriteFile(JoinPath(out, "error.txt"), actual_error).ok());
    }
    return;
  }

  absl::StatusOr<std::string> want_ast = ReadFile(JoinPath(dir, "ast.txt"));
  absl::StatusOr<std::string> want_error = ReadFile(JoinPath(dir, "error.txt"));
  ASSERT_NE(want_ast.ok(), want_error.ok())
      << "case needs exactly one of ast.txt and error.txt";
  if (want_ast.ok()) {
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(actual_ast, *want_ast);
  } else {
    ASSERT_FALSE(parsed.ok()) << "expected an error, got:\n" << actual_ast;
    EXPECT_EQ(actual_error, *want_error);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CorpusTest, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) {
                               c = '_';
                             }
                           }
                           return name;
                         });

TEST(Corpus, HasAtLeastSixtyCases) { EXPECT_GE(CaseNames().size(), 60u); }

}  // namespace
}  // namespace farm::dockerfile
