#include "common/io.h"

#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

TEST(IoTest, CopiesStringToFileAndBack) {
  auto dir = MakeTempDir("io_test");
  ASSERT_TRUE(dir.ok());
  std::string path = JoinPath(*dir, "blob");
  std::string payload(3 << 20, 'q');
  payload[12345] = 'z';
  {
    auto writer = OpenFileWriter(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    StringReader reader(payload);
    auto copied = Copy(reader, **writer);
    ASSERT_TRUE(copied.ok());
    EXPECT_EQ(*copied, payload.size());
    ASSERT_TRUE((*writer)->Close().ok());
  }
  auto reader = OpenFileReader(path);
  ASSERT_TRUE(reader.ok());
  auto back = ReadAll(**reader);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, payload);
  ASSERT_TRUE(RemoveAll(*dir).ok());
}

TEST(IoTest, ReadAllEnforcesLimit) {
  StringReader reader(std::string(100, 'x'));
  auto all = ReadAll(reader, 10);
  EXPECT_EQ(all.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(IoTest, MissingFileIsNotFound) {
  EXPECT_EQ(OpenFileReader("/no/such/farm").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm
