#include "worker/platforms.h"

#include <string>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Entries as Debian's qemu-user-static registers them through
// binfmt-support.
constexpr char kAarch64[] =
    "enabled\n"
    "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
    "flags: POCF\n"
    "offset 0\n"
    "magic 7f454c460201010000000000000000000200b700\n"
    "mask ffffffffffffff00fffffffffffffffffeffffff\n";
constexpr char kArm[] =
    "enabled\n"
    "interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\n"
    "flags: POCF\n"
    "offset 0\n"
    "magic 7f454c4601010100000000000000000002002800\n"
    "mask ffffffffffffff00fffffffffffffffffeffffff\n";
constexpr char kS390x[] =
    "enabled\n"
    "interpreter /usr/libexec/qemu-binfmt/s390x-binfmt-P\n"
    "flags: POCF\n"
    "offset 0\n"
    "magic 7f454c4602020100000000000000000000020016\n"
    "mask ffffffffffffff00fffffffffffffffffffeffff\n";

TEST(PlatformsTest, EmulatorEntriesNameTheirPlatform) {
  EXPECT_EQ(PlatformOfBinfmtEntry(kAarch64), "linux/arm64");
  EXPECT_EQ(PlatformOfBinfmtEntry(kArm), "linux/arm/v7");
  EXPECT_EQ(PlatformOfBinfmtEntry(kS390x), "linux/s390x");  // big-endian
}

TEST(PlatformsTest, EntriesThatCannotServeAContainerAreIgnored) {
  std::string disabled = kAarch64;
  disabled.replace(0, 7, "disabled");
  EXPECT_EQ(PlatformOfBinfmtEntry(disabled), std::nullopt);
  std::string no_fix = kAarch64;
  no_fix.replace(no_fix.find("POCF"), 4, "POC");
  EXPECT_EQ(PlatformOfBinfmtEntry(no_fix), std::nullopt);
  // An extension entry (Wine, Java jars) has no ELF magic.
  EXPECT_EQ(PlatformOfBinfmtEntry("enabled\ninterpreter /usr/bin/wine\n"
                                  "flags: F\nextension .exe\n"),
            std::nullopt);
  EXPECT_EQ(PlatformOfBinfmtEntry(""), std::nullopt);
}

TEST(PlatformsTest, DetectReadsEveryEntryOfTheDirectory) {
  auto dir = MakeTempDir("platforms_test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteFile(JoinPath(*dir, "register"), "").ok());
  ASSERT_TRUE(WriteFile(JoinPath(*dir, "status"), "enabled\n").ok());
  ASSERT_TRUE(WriteFile(JoinPath(*dir, "qemu-aarch64"), kAarch64).ok());
  ASSERT_TRUE(WriteFile(JoinPath(*dir, "qemu-arm"), kArm).ok());
  WorkerPlatforms found = DetectPlatforms(*dir);
  EXPECT_THAT(found.native, ElementsAre(NativePlatform()));
  if (NativePlatform() == "linux/amd64") {
    EXPECT_THAT(found.emulated, ElementsAre("linux/arm/v7", "linux/arm64"));
  }
  EXPECT_TRUE(DetectPlatforms(JoinPath(*dir, "absent")).emulated.empty());
  ASSERT_TRUE(RemoveAll(*dir).ok());
}

TEST(PlatformsTest, RestrictKeepsOnlyWhatIsAskedAndRunnable) {
  WorkerPlatforms all{{"linux/amd64"}, {"linux/arm/v7", "linux/arm64"}};
  auto arm = RestrictPlatforms(all, "linux/arm64/v8");
  ASSERT_TRUE(arm.ok()) << arm.status();
  EXPECT_TRUE(arm->native.empty());
  EXPECT_THAT(arm->emulated, ElementsAre("linux/arm64"));
  auto both = RestrictPlatforms(all, "linux/amd64, linux/arm64");
  ASSERT_TRUE(both.ok());
  EXPECT_THAT(both->native, ElementsAre("linux/amd64"));
  EXPECT_THAT(both->emulated, ElementsAre("linux/arm64"));
  auto s390x = RestrictPlatforms(all, "linux/s390x");
  ASSERT_FALSE(s390x.ok());
  EXPECT_THAT(std::string(s390x.status().message()),
              HasSubstr("cannot run linux/s390x: it runs linux/amd64 "
                        "(native), linux/arm/v7 (emulated), linux/arm64 "
                        "(emulated)"));
  EXPECT_FALSE(RestrictPlatforms(all, "linux").ok());
  EXPECT_FALSE(RestrictPlatforms(all, "").ok());
}

TEST(PlatformsTest, NativeIsNormalised) {
  std::string native = NativePlatform();
  EXPECT_THAT(native, HasSubstr("linux/"));
  EXPECT_EQ(native.find("x86_64"), std::string::npos);
  EXPECT_EQ(native.find("aarch64"), std::string::npos);
}

}  // namespace
}  // namespace farm::worker
