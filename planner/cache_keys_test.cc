#include "planner/cache_keys.h"

#include "gtest/gtest.h"
#include "planner/manifest_tree.h"

namespace farm::planner {
namespace {

proto::ContextManifest Context(const std::string& content, uint32_t mode,
                               int64_t mtime) {
  proto::ContextManifest m;
  auto* dir = m.add_entries();
  dir->set_path("src");
  dir->set_type(proto::ContextEntry::DIRECTORY);
  dir->set_mode(0755);
  auto* file = m.add_entries();
  file->set_path("src/main.c");
  file->set_mode(mode);
  file->set_digest(Digest::Of(content).ToString());
  file->set_mtime_unix_nanos(mtime);
  auto* other = m.add_entries();
  other->set_path("README");
  other->set_digest(Digest::Of("readme").ToString());
  return m;
}

Digest Key(const proto::ContextManifest& m,
           const std::vector<std::string>& paths,
           const std::vector<std::string>& excludes = {}) {
  ManifestTree tree(m);
  auto digest = SourcesDigest(tree, paths, excludes);
  EXPECT_TRUE(digest.ok()) << digest.status();
  return digest.ok() ? *digest : Digest();
}

TEST(CacheKeysTest, SourcesDigestIgnoresMtimeButNotContentOrMode) {
  Digest base = Key(Context("int main;", 0644, 1), {"src"});
  EXPECT_EQ(base, Key(Context("int main;", 0644, 999), {"src"}));
  EXPECT_NE(base, Key(Context("int main(){}", 0644, 1), {"src"}));
  EXPECT_NE(base, Key(Context("int main;", 0755, 1), {"src"}));
  // Files outside the selection do not matter.
  proto::ContextManifest changed = Context("int main;", 0644, 1);
  changed.mutable_entries(2)->set_digest(Digest::Of("new").ToString());
  EXPECT_EQ(base, Key(changed, {"src"}));
  EXPECT_NE(Key(changed, {"."}), Key(Context("int main;", 0644, 1), {"."}));
}

TEST(CacheKeysTest, ExcludesDropEntries) {
  proto::ContextManifest a = Context("x", 0644, 1);
  proto::ContextManifest b = Context("y", 0644, 1);
  EXPECT_NE(Key(a, {"."}), Key(b, {"."}));
  EXPECT_EQ(Key(a, {"."}, {"src/*.c"}), Key(b, {"."}, {"src/*.c"}));
}

TEST(CacheKeysTest, MissingSourceIsNotFound) {
  proto::ContextManifest m = Context("x", 0644, 1);
  ManifestTree tree(m);
  auto digest = SourcesDigest(tree, {"nope"}, {});
  EXPECT_EQ(digest.status().code(), absl::StatusCode::kNotFound);
}

TEST(CacheKeysTest, InstructionKeyChainsEverything) {
  proto::PlannedInstruction run;
  run.set_text("RUN make");
  Digest base = ImageBaseKey("sha256:abc", "linux/amd64");
  Digest k1 = InstructionKey(base, run, {});
  EXPECT_EQ(k1, InstructionKey(base, run, {}));
  EXPECT_NE(k1, InstructionKey(ScratchKey("linux/amd64"), run, {}));
  EXPECT_NE(base, ImageBaseKey("sha256:abc", "linux/arm64"));
  proto::PlannedInstruction with_arg = run;
  (*with_arg.mutable_build_args())["V"] = "1";
  EXPECT_NE(k1, InstructionKey(base, with_arg, {}));
  proto::PlannedInstruction other_value = run;
  (*other_value.mutable_build_args())["V"] = "2";
  EXPECT_NE(InstructionKey(base, with_arg, {}),
            InstructionKey(base, other_value, {}));
  EXPECT_NE(k1, InstructionKey(base, run, {Digest::Of("src")}));
  EXPECT_NE(LayersDigest({"sha256:a", "sha256:b"}),
            LayersDigest({"sha256:b", "sha256:a"}));
}

}  // namespace
}  // namespace farm::planner
