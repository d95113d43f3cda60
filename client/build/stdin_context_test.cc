#include "client/build/stdin_context.h"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/fs.h"
#include "common/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/tar/tar_writer.h"

namespace farm::client::build {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class StdinContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("stdin_context");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  // Standard input holding `data`.
  absl::StatusOr<std::unique_ptr<StdinContext>> ReadFrom(
      const std::string& data) {
    const std::string path = JoinPath(dir_, "stdin");
    EXPECT_TRUE(WriteFile(path, data).ok());
    ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return StdinContext::Read(fd.get());
  }

  // A tar of regular files, name → content.
  static std::string Tar(
      const std::vector<std::pair<std::string, std::string>>& files) {
    std::string bytes;
    StringWriter out(&bytes);
    image::tar::TarWriter tar(&out);
    for (const auto& [name, data] : files) {
      image::tar::TarEntry entry;
      entry.name = name;
      entry.size = data.size();
      entry.uid = 1234;
      EXPECT_TRUE(tar.WriteHeader(entry).ok());
      EXPECT_TRUE(tar.WriteData(data).ok());
    }
    EXPECT_TRUE(tar.Finish().ok());
    return bytes;
  }

  std::string dir_;
};

TEST_F(StdinContextTest, ADockerfileAloneMakesAnEmptyContext) {
  auto context = ReadFrom("FROM busybox\nRUN true\n");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_FALSE((*context)->is_archive());
  EXPECT_THAT(*ListDir((*context)->dir()), ElementsAre("Dockerfile"));
  EXPECT_EQ(*ReadFile(JoinPath((*context)->dir(), "Dockerfile")),
            "FROM busybox\nRUN true\n");
}

TEST_F(StdinContextTest, AnArchiveIsTheContextAndGoesWithIt) {
  std::string dir;
  {
    auto context = ReadFrom(
        Tar({{"Dockerfile", "FROM busybox\n"}, {"src/app.txt", "app\n"}}));
    ASSERT_TRUE(context.ok()) << context.status();
    EXPECT_TRUE((*context)->is_archive());
    dir = (*context)->dir();
    EXPECT_THAT(*ListDir(dir), ElementsAre("Dockerfile", "src"));
    EXPECT_EQ(*ReadFile(JoinPath(dir, "src/app.txt")), "app\n");
  }
  EXPECT_FALSE(PathExists(dir));
}

TEST_F(StdinContextTest, AHostileArchiveIsRefusedNamingTheMember) {
  auto context = ReadFrom(Tar({{"ok.txt", "x"}, {"../../escape.txt", "x"}}));
  ASSERT_FALSE(context.ok());
  EXPECT_THAT(context.status().message(), HasSubstr("standard input"));
  EXPECT_THAT(context.status().message(), HasSubstr("escape.txt"));
  // Where "../../escape.txt" would land from <tmp>/farm-stdin-context.*/context.
  EXPECT_FALSE(PathExists(JoinPath(DirName(dir_), "escape.txt")));
}

}  // namespace
}  // namespace farm::client::build
