#include "worker/context_materializer.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cache/memory_cache.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::worker {
namespace {

using ::testing::HasSubstr;

class MaterializeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("materialize");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override {
    // Read-only directories first become writable again.
    chmod(JoinPath(dir_, "ro").c_str(), 0755);
    RemoveAll(dir_).IgnoreError();
  }

  proto::ContextEntry* File(const std::string& path, const std::string& data,
                            uint32_t mode = 0644, int64_t mtime = 1000) {
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), data).ok());
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::FILE);
    entry->set_mode(mode);
    entry->set_size(data.size());
    entry->set_digest(Digest::Of(data).ToString());
    entry->set_mtime_unix_nanos(mtime * 1000000000 + 5);
    return entry;
  }
  void Dir(const std::string& path, uint32_t mode = 0755) {
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::DIRECTORY);
    entry->set_mode(mode);
    entry->set_mtime_unix_nanos(int64_t{2000} * 1000000000);
  }
  void Link(const std::string& path, const std::string& target) {
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::SYMLINK);
    entry->set_link_target(target);
  }
  absl::Status Materialize() {
    const std::string out = JoinPath(dir_, "out");
    EXPECT_TRUE(MakeDirs(out).ok());
    return MaterializeContext(manifest_, *cache_.blobs(), out);
  }

  std::string dir_;
  cache::MemoryCache cache_;
  proto::ContextManifest manifest_;
};

TEST_F(MaterializeTest, WritesFilesDirectoriesAndSymlinksWithModesAndTimes) {
  Dir("ro", 0555);
  File("ro/inner.txt", "inner\n", 0600);
  File("top.sh", "#!/bin/sh\n", 04755, 1234);
  Link("link", "../outside");
  File("implied/parent/f", "f");
  ASSERT_TRUE(Materialize().ok());
  const std::string out = JoinPath(dir_, "out");
  EXPECT_EQ(*ReadFile(JoinPath(out, "ro/inner.txt")), "inner\n");
  struct stat st;
  ASSERT_EQ(lstat(JoinPath(out, "ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  ASSERT_EQ(lstat(JoinPath(out, "top.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);  // whole seconds, as in a layer
  EXPECT_EQ(st.st_atim.tv_sec, 1234);
  ASSERT_EQ(lstat(JoinPath(out, "ro/inner.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  char target[64] = {};
  ASSERT_GT(readlink(JoinPath(out, "link").c_str(), target, sizeof(target)), 0);
  EXPECT_STREQ(target, "../outside");
  EXPECT_EQ(*ReadFile(JoinPath(out, "implied/parent/f")), "f");
}

TEST_F(MaterializeTest, HardLinkedFilesShareAnInode) {
  File("a.txt", "shared");
  File("b.txt", "shared")->set_hardlink_of("a.txt");
  // Its first name is not in this subset: a file of its own.
  File("c.txt", "other")->set_hardlink_of("not-here.txt");
  ASSERT_TRUE(Materialize().ok());
  struct stat a, b, c;
  ASSERT_EQ(stat(JoinPath(dir_, "out/a.txt").c_str(), &a), 0);
  ASSERT_EQ(stat(JoinPath(dir_, "out/b.txt").c_str(), &b), 0);
  ASSERT_EQ(stat(JoinPath(dir_, "out/c.txt").c_str(), &c), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  EXPECT_EQ(c.st_nlink, 1u);
  EXPECT_EQ(*ReadFile(JoinPath(dir_, "out/c.txt")), "other");
}

TEST_F(MaterializeTest, ManyFilesInParallel) {
  for (int i = 0; i < 50; ++i)
    File("many/f" + std::to_string(i), std::to_string(i));
  ASSERT_TRUE(Materialize().ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*ReadFile(JoinPath(dir_, "out/many/f" + std::to_string(i))),
              std::to_string(i));
  }
}

TEST_F(MaterializeTest, RefusesPathsThatLeaveTheDirectory) {
  for (const char* bad : {"../x", "/abs", "a/../../x", "./a", "a//b"}) {
    manifest_.Clear();
    File(bad, "x");
    absl::Status status = MaterializeContext(manifest_, *cache_.blobs(),
                                             JoinPath(dir_, "out-unsafe"));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("unsafe path")) << bad;
  }
  EXPECT_FALSE(PathExists(JoinPath(dir_, "x")));
}

TEST_F(MaterializeTest, RefusesWritingThroughASymlink) {
  Link("escape", "/tmp");
  File("escape/evil", "x");
  absl::Status status = Materialize();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"escape\""));
  EXPECT_FALSE(PathExists("/tmp/evil"));
}

TEST_F(MaterializeTest, MissingBlobIsNotFoundNamingThePath) {
  proto::ContextEntry* entry = File("gone.txt", "data");
  entry->set_digest(Digest::Of("other data").ToString());
  absl::Status status = Materialize();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("gone.txt"));
}

ino_t Inode(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

TEST_F(MaterializeTest, SyncRewritesOnlyWhatChanged) {
  File("same.txt", "same");
  File("changed.txt", "before");
  File("retouched.txt", "keep", 0644, 1000);
  File("gone/deep/f", "gone");
  Link("relinked", "old-target");
  Link("same-link", "t");
  File("was-file", "file");
  Dir("was-dir");
  File("was-dir/child", "child");
  ASSERT_TRUE(Materialize().ok());
  const proto::ContextManifest held = manifest_;
  const std::string out = JoinPath(dir_, "out");
  const ino_t same = Inode(JoinPath(out, "same.txt"));
  const ino_t retouched = Inode(JoinPath(out, "retouched.txt"));
  const ino_t same_link = Inode(JoinPath(out, "same-link"));
  // What a COPY links into a snapshot must not see the next context.
  const std::string snapshot = JoinPath(dir_, "snapshot");
  ASSERT_TRUE(MakeDirs(snapshot, 0755).ok());
  for (const char* name : {"changed.txt", "retouched.txt"}) {
    ASSERT_EQ(link(JoinPath(out, name).c_str(),
                   JoinPath(snapshot, name).c_str()),
              0);
  }

  manifest_.Clear();
  File("same.txt", "same");
  File("changed.txt", "after");
  File("retouched.txt", "keep", 0600, 3000);
  Link("relinked", "new-target");
  Link("same-link", "t");
  Dir("was-file", 0700);
  File("was-file/inside", "inside");
  Link("was-dir", "same.txt");
  File("new/f", "new");
  ASSERT_TRUE(SyncContext(held, manifest_, *cache_.blobs(), out).ok());

  EXPECT_EQ(Inode(JoinPath(out, "same.txt")), same);
  EXPECT_EQ(Inode(JoinPath(out, "same-link")), same_link);
  // A new mode and mtime make a new file, never a change in place.
  EXPECT_NE(Inode(JoinPath(out, "retouched.txt")), retouched);
  struct stat st;
  ASSERT_EQ(lstat(JoinPath(out, "retouched.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtim.tv_sec, 3000);
  EXPECT_EQ(*ReadFile(JoinPath(out, "changed.txt")), "after");
  ASSERT_EQ(lstat(JoinPath(snapshot, "retouched.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(*ReadFile(JoinPath(snapshot, "changed.txt")), "before");
  char target[64] = {};
  ASSERT_GT(readlink(JoinPath(out, "relinked").c_str(), target,
                     sizeof(target)),
            0);
  EXPECT_STREQ(target, "new-target");
  EXPECT_EQ(*ReadFile(JoinPath(out, "was-file/inside")), "inside");
  ASSERT_EQ(lstat(JoinPath(out, "was-file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  ASSERT_EQ(lstat(JoinPath(out, "was-dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(*ReadFile(JoinPath(out, "new/f")), "new");
  EXPECT_FALSE(PathExists(JoinPath(out, "gone")));
  EXPECT_THAT(*ListDir(out),
              ::testing::ElementsAre("changed.txt", "new", "relinked",
                                     "retouched.txt", "same-link", "same.txt",
                                     "was-dir", "was-file"));
}

TEST_F(MaterializeTest, SyncRecreatesFilesThatJoinOrLeaveAHardLink) {
  File("a.txt", "shared");
  File("b.txt", "shared");
  ASSERT_TRUE(Materialize().ok());
  proto::ContextManifest held = manifest_;
  const std::string out = JoinPath(dir_, "out");

  manifest_.Clear();
  File("a.txt", "shared");
  File("b.txt", "shared")->set_hardlink_of("a.txt");
  ASSERT_TRUE(SyncContext(held, manifest_, *cache_.blobs(), out).ok());
  EXPECT_EQ(Inode(JoinPath(out, "a.txt")), Inode(JoinPath(out, "b.txt")));

  held = manifest_;
  manifest_.Clear();
  File("a.txt", "shared");
  File("b.txt", "shared");
  ASSERT_TRUE(SyncContext(held, manifest_, *cache_.blobs(), out).ok());
  EXPECT_NE(Inode(JoinPath(out, "a.txt")), Inode(JoinPath(out, "b.txt")));
  struct stat st;
  ASSERT_EQ(stat(JoinPath(out, "a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(MaterializeTest, SyncRefusesABadManifestBeforeTouchingAnything) {
  File("keep.txt", "keep");
  ASSERT_TRUE(Materialize().ok());
  const proto::ContextManifest held = manifest_;
  manifest_.Clear();
  File("other.txt", "x");
  Link("escape", "/tmp");
  File("escape/evil", "x");
  const std::string out = JoinPath(dir_, "out");
  absl::Status status = SyncContext(held, manifest_, *cache_.blobs(), out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ReadFile(JoinPath(out, "keep.txt")), "keep");
  EXPECT_FALSE(PathExists(JoinPath(out, "other.txt")));
  EXPECT_FALSE(PathExists("/tmp/evil"));
}

}  // namespace
}  // namespace farm::worker
