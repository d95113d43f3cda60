#include "worker/snapshot/overlay_mount.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::snapshot {
namespace {

using ::testing::HasSubstr;

TEST(OverlayOptionsTest, ListsLowersTopFirstAndTurnsOffRedirects) {
  OverlaySpec spec{{"l/top", "l/base"}, "work/1/upper", "work/1/work"};
  absl::StatusOr<std::string> options = OverlayOptions(spec);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(*options,
            "lowerdir=l/top:l/base,upperdir=work/1/upper,workdir=work/1/work,"
            "redirect_dir=off,metacopy=off,index=off");
  spec.volatile_upper = true;
  options = OverlayOptions(spec);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(*options, ::testing::EndsWith(",index=off,volatile"));
}

TEST(OverlayOptionsTest, RejectsWhatDoesNotFitOrParse) {
  OverlaySpec spec{{}, "u", "w"};
  EXPECT_EQ(OverlayOptions(spec).status().code(),
            absl::StatusCode::kInvalidArgument);
  spec.lower = {"a:b"};
  absl::Status s = OverlayOptions(spec).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"a:b\""));
  spec.lower.assign(300, "l/0123456789ab");
  s = OverlayOptions(spec).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("300 layers"));
  spec.lower.resize(200);  // 15 bytes each: fits
  EXPECT_TRUE(OverlayOptions(spec).ok());
}

TEST(MountOverlayTest, MountsRelativeToBaseAndUnmounts) {
  std::string base = *MakeTempDir("overlay_mount");
  for (const char* d : {"/lower", "/upper", "/work", "/merged"}) {
    ASSERT_TRUE(MakeDirs(base + d).ok());
  }
  ASSERT_TRUE(WriteFile(base + "/lower/f", "low").ok());
  std::string cwd_before(4096, '\0');
  ASSERT_NE(getcwd(cwd_before.data(), cwd_before.size()), nullptr);
  OverlaySpec spec{{"lower"}, "upper", "work"};
  absl::Status s = MountOverlay(base, spec, base + "/merged");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(IsMountPoint(base + "/merged"));
  EXPECT_EQ(*ReadFile(base + "/merged/f"), "low");
  std::string cwd_after(4096, '\0');
  ASSERT_NE(getcwd(cwd_after.data(), cwd_after.size()), nullptr);
  EXPECT_EQ(cwd_before, cwd_after);  // only the helper thread moved
  ASSERT_TRUE(Unmount(base + "/merged").ok());
  EXPECT_FALSE(IsMountPoint(base + "/merged"));
  EXPECT_TRUE(Unmount(base + "/merged").ok());  // not mounted: fine

  s = MountOverlay(base, {{"missing"}, "upper", "work"}, base + "/merged");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(base + "/merged"));
  ASSERT_TRUE(RemoveAll(base).ok());
}

}  // namespace
}  // namespace farm::snapshot
