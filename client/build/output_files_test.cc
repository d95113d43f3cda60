#include "client/build/output_files.h"

#include <fcntl.h>
#include <unistd.h>

#include "client/context/test_tree.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

proto::OutputChunk Chunk(const std::string& format, const std::string& data,
                         bool last) {
  proto::OutputChunk c;
  c.set_format(format);
  c.set_data(data);
  c.set_last(last);
  return c;
}

TEST(ParseOutputSpecTest, ReadsTypeAndDest) {
  auto spec = ParseOutputSpec("type=docker,dest=out.tar");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->format, "docker");
  EXPECT_EQ(spec->dest, "out.tar");
  spec = ParseOutputSpec("dest=-,type=oci");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->format, "oci");
  EXPECT_EQ(spec->dest, "-");
}

TEST(ParseOutputSpecTest, RejectsWhatItCannotWrite) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"dest=x", "--output \"dest=x\": missing type=docker|oci"},
      {"type=local,dest=x",
       "--output \"type=local,dest=x\": unsupported type \"local\"; want "
       "docker or oci"},
      {"type=oci", "--output \"type=oci\": missing dest=FILE"},
      {"type=oci,dest=x,compression=zstd",
       "--output \"type=oci,dest=x,compression=zstd\": unknown key "
       "\"compression\"; want type=docker|oci,dest=FILE"},
      {"out.tar",
       "--output \"out.tar\": unknown key \"out.tar\"; want "
       "type=docker|oci,dest=FILE"},
  };
  for (const Case& c : cases) {
    auto spec = ParseOutputSpec(c.text);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(spec.status().message(), c.message);
  }
}

TEST(OutputFilesTest, WritesBesideTheDestinationThenRenames) {
  context::TempTree tree;
  std::string docker = tree.Path("image.tar");
  std::string oci = tree.Path("oci.tar");
  std::string also_docker = tree.Path("copy.tar");
  auto files = OutputFiles::Create(
      {{"docker", docker}, {"oci", oci}, {"docker", also_docker}}, 1);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ((*files)->formats(), (std::vector<std::string>{"docker", "oci"}));
  ASSERT_TRUE((*files)->Write(Chunk("docker", "d1", false)).ok());
  ASSERT_TRUE((*files)->Write(Chunk("oci", "o1", true)).ok());
  ASSERT_TRUE((*files)->Write(Chunk("docker", "d2", true)).ok());
  EXPECT_FALSE(PathExists(docker)) << "visible before the build succeeded";
  auto listing = ListDir(tree.root());
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->size(), 3u);  // the temporary files

  auto late = (*files)->Write(Chunk("oci", "more", false));
  EXPECT_EQ(late.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(late.message(),
            "the farm sent more of the oci archive after its end");
  auto unknown = (*files)->Write(Chunk("tar", "x", true));
  EXPECT_EQ(unknown.message(), "the farm sent a tar archive nobody asked for");

  ASSERT_TRUE((*files)->Commit().ok());
  EXPECT_EQ(*ReadFile(docker), "d1d2");
  EXPECT_EQ(*ReadFile(also_docker), "d1d2");
  EXPECT_EQ(*ReadFile(oci), "o1");
  files->reset();
  EXPECT_EQ(ListDir(tree.root())->size(), 3u);
}

TEST(OutputFilesTest, FailedBuildLeavesNothingBehind) {
  context::TempTree tree;
  {
    auto files = OutputFiles::Create({{"oci", tree.Path("out.tar")}}, 1);
    ASSERT_TRUE(files.ok());
    ASSERT_TRUE((*files)->Write(Chunk("oci", "partial", false)).ok());
    auto commit = (*files)->Commit();
    EXPECT_EQ(commit.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(commit.message(),
              "the farm did not send the whole oci archive for " +
                  tree.Path("out.tar"));
  }
  EXPECT_TRUE(ListDir(tree.root())->empty());
}

TEST(OutputFilesTest, RestartDropsPartialArchives) {
  context::TempTree tree;
  auto files = OutputFiles::Create({{"docker", tree.Path("a.tar")}}, 1);
  ASSERT_TRUE(files.ok());
  ASSERT_TRUE((*files)->Write(Chunk("docker", "half of it", false)).ok());
  ASSERT_TRUE((*files)->Restart().ok());
  ASSERT_TRUE((*files)->Write(Chunk("docker", "all", true)).ok());
  ASSERT_TRUE((*files)->Commit().ok());
  EXPECT_EQ(*ReadFile(tree.Path("a.tar")), "all");
}

TEST(OutputFilesTest, StandardOutputGetsTheBytesDirectly) {
  context::TempTree tree;
  int fd = open(tree.Path("stdout").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  auto files = OutputFiles::Create({{"docker", "-"}}, fd);
  ASSERT_TRUE(files.ok());
  ASSERT_TRUE((*files)->Write(Chunk("docker", "abc", false)).ok());
  auto restart = (*files)->Restart();
  EXPECT_EQ(restart.code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE((*files)->Write(Chunk("docker", "def", true)).ok());
  ASSERT_TRUE((*files)->Commit().ok());
  close(fd);
  EXPECT_EQ(*ReadFile(tree.Path("stdout")), "abcdef");
}

TEST(OutputFilesTest, RejectsSharedDestinationsAndMissingDirectories) {
  context::TempTree tree;
  auto twice = OutputFiles::Create(
      {{"docker", tree.Path("x.tar")}, {"oci", tree.Path("x.tar")}}, 1);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(),
            "two --output flags write to " + tree.Path("x.tar"));
  auto missing = OutputFiles::Create({{"oci", tree.Path("no/such/x.tar")}}, 1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("creating the output " +
                                            tree.Path("no/such/x.tar")),
            std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace farm::client::build
