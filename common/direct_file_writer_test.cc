#include "common/direct_file_writer.h"

#include <sys/stat.h>

#include <cstdlib>
#include <random>
#include <string>

#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen());
  return out;
}

// Writes `payload` in pieces of the given sizes (cycled), then reads it back.
void RoundTrip(const std::string& dir, const std::string& payload,
               std::vector<size_t> pieces) {
  std::string path = JoinPath(dir, "blob");
  auto writer = OpenDirectFileWriter(path, 0640);
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::string_view rest = payload;
  for (size_t i = 0; !rest.empty(); ++i) {
    size_t n = std::min(pieces[i % pieces.size()], rest.size());
    ASSERT_TRUE((*writer)->Write(rest.substr(0, n)).ok());
    rest.remove_prefix(n);
  }
  ASSERT_TRUE((*writer)->Close().ok());
  auto back = ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size(), payload.size());
  EXPECT_TRUE(*back == payload);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

class DirectFileWriterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "tmpfs") {
      struct stat st;
      if (stat("/dev/shm", &st) != 0) GTEST_SKIP() << "no /dev/shm";
      char name[] = "/dev/shm/direct_writer_test.XXXXXX";
      ASSERT_NE(mkdtemp(name), nullptr);
      dir_ = name;
    } else {
      auto made = MakeTempDir("direct_writer_test");
      ASSERT_TRUE(made.ok()) << made.status();
      dir_ = *made;
    }
  }
  void TearDown() override {
    if (!dir_.empty()) ASSERT_TRUE(RemoveAll(dir_).ok());
  }
  std::string dir_;
};

TEST_P(DirectFileWriterTest, BigFileInOddPiecesComesBackWhole) {
  // Past three 4 MiB buffers, so the writer waits for free ones, and with a
  // tail that is not a multiple of the block size.
  RoundTrip(dir_, RandomBytes((size_t{14} << 20) + 4097, 1),
            {1, 65536, 1 << 20, 12345, 3 << 20});
}

TEST_P(DirectFileWriterTest, SmallAndEmptyFiles) {
  RoundTrip(dir_, "", {1});
  RoundTrip(dir_, "x", {1});
  RoundTrip(dir_, RandomBytes(4096, 2), {4096});
  RoundTrip(dir_, RandomBytes(8191, 3), {100});
}

TEST_P(DirectFileWriterTest, DestroyedWithoutCloseLeavesNoThreadRunning) {
  std::string path = JoinPath(dir_, "partial");
  auto writer = OpenDirectFileWriter(path, 0600);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(RandomBytes(9 << 20, 4)).ok());
  writer->reset();
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0);
}

INSTANTIATE_TEST_SUITE_P(Filesystems, DirectFileWriterTest,
                         ::testing::Values("disk", "tmpfs"));

TEST(DirectFileWriterErrors, AFullDeviceFailsCloseOrWrite) {
  auto writer = OpenDirectFileWriter("/dev/full", 0600);
  if (!writer.ok()) GTEST_SKIP() << writer.status();
  absl::Status status;
  std::string chunk(1 << 20, 'f');
  for (int i = 0; i < 20 && status.ok(); ++i) status = (*writer)->Write(chunk);
  absl::Status closed = (*writer)->Close();
  absl::Status first = status.ok() ? closed : status;
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.message().find("/dev/full"), std::string::npos) << first;
}

TEST(DirectFileWriterErrors, AMissingDirectoryIsNamed) {
  auto writer = OpenDirectFileWriter("/nonexistent-dir/blob", 0600);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("/nonexistent-dir/blob"),
            std::string::npos);
}

}  // namespace
}  // namespace farm
