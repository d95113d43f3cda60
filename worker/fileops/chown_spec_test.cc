#include "worker/fileops/chown_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::fileops {
namespace {

using ::testing::HasSubstr;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "  app:x:1000:1000::/home/app:/bin/sh  \n"
    "\n"
    "web:x:33:33::/var/www:/bin/false\n"
    "app:x:5:5::/dup:/bin/sh\n"
    "broken:x:abc\n";
constexpr char kGroup[] =
    "root:x:0:\nstaff:x:50:app\nwww-data:x:33:\nnogroup:x:65534:\n";

TEST(ResolveChownTest, FollowsBuildKit) {
  struct C {
    const char* spec;
    uint32_t uid, gid;
  } cases[] = {
      {"app", 1000, 1000},  // first entry wins
      {"app:staff", 1000, 50},
      {"web", 33, 33},
      {"root", 0, 0},
      {"root:staff", 0, 50},
      {"42", 42, 42},
      {"42:7", 42, 7},
      {"1000:www-data", 1000, 33},
      {"nosuch", 0, 0},  // unknown user: 0:0, no error
      {"nosuch:nogroup", 0, 65534},
      {"app:nosuch", 1000, 1000},  // unknown group keeps the user's gid
      {"broken", 0, 0},            // malformed numbers read as 0
      {"app:0", 1000, 0},
  };
  for (const C& c : cases) {
    absl::StatusOr<Owner> o = ResolveChownFromFiles(c.spec, kPasswd, kGroup);
    ASSERT_TRUE(o.ok()) << c.spec << ": " << o.status();
    EXPECT_EQ(o->uid, c.uid) << c.spec;
    EXPECT_EQ(o->gid, c.gid) << c.spec;
  }
}

TEST(ResolveChownTest, MissingFilesMeanNoEntries) {
  EXPECT_EQ(*ResolveChownFromFiles("app:staff", std::nullopt, std::nullopt),
            (Owner{0, 0}));
  EXPECT_EQ(*ResolveChownFromFiles("12:34", std::nullopt, std::nullopt),
            (Owner{12, 34}));
}

TEST(ResolveChownTest, RejectsBadIds) {
  for (const char* bad : {"-1", "1:-5", "4294967296"}) {
    absl::StatusOr<Owner> o = ResolveChownFromFiles(bad, kPasswd, kGroup);
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(o.status().message(), HasSubstr("--chown="));
  }
  EXPECT_EQ(ResolveChownFromFiles("", kPasswd, kGroup).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace farm::fileops
