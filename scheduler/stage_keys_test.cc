#include "scheduler/stage_keys.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "planner/cache_keys.h"
#include "planner/manifest_tree.h"
#include "scheduler/context_testing.h"
#include "scheduler/secret_digests.h"

namespace farm::scheduler {
namespace {

using testing::ContextBuilder;
using testing::PlanOf;

// Everything that may reach the target stage's keys.
struct KeyCase {
  std::string dockerfile;
  planner::PlanOptions options;
  proto::ContextManifest context = ContextBuilder()
                                       .Dir("src")
                                       .File("src/main.c", "int main;")
                                       .File("unused.txt", "x")
                                       .Build();
  Digest base_key = planner::ImageBaseKey("sha256:base", "linux/amd64");
  // Layers digests of the stages and images that --from reads; a stage or
  // image left out is not known yet.
  std::map<int, Digest> stages;
  std::map<std::string, Digest> images;
  std::map<std::string, Digest> urls;
  std::map<std::string, Digest> secrets;
};

absl::StatusOr<std::vector<Digest>> KeysOf(const KeyCase& c) {
  planner::PlannedBuild plan = PlanOf(c.dockerfile, c.options);
  const int target = plan.graph.target_index();
  planner::ManifestTree tree(c.context);
  StageKeyInputs inputs;
  inputs.stage = &plan.graph.stages(target);
  inputs.instructions = &plan.instructions.at(target);
  inputs.base_key = c.base_key;
  inputs.context = &tree;
  inputs.source_digest =
      [&c](const proto::StageRef& ref) -> std::optional<Digest> {
    if (ref.stage_index() >= 0) {
      auto it = c.stages.find(ref.stage_index());
      if (it == c.stages.end()) return std::nullopt;
      return it->second;
    }
    auto it = c.images.find(ref.image());
    if (it == c.images.end()) return std::nullopt;
    return it->second;
  };
  inputs.url_digests = c.urls;
  inputs.secret_digests = c.secrets;
  return ComputeStageKeys(inputs);
}

// KeysOf, for cases that must succeed.
std::vector<Digest> Keys(const KeyCase& c) {
  absl::StatusOr<std::vector<Digest>> keys = KeysOf(c);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? *keys : std::vector<Digest>();
}

KeyCase Case(const std::string& dockerfile) {
  KeyCase c;
  c.dockerfile = dockerfile;
  return c;
}

TEST(StageKeysTest, SameInputsGiveTheSameChainOfDistinctKeys) {
  KeyCase c = Case("FROM busybox\nCOPY src /src\nRUN make\nRUN make\n");
  std::vector<Digest> keys = Keys(c);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys, Keys(c));
  // The two identical RUNs differ by what came before them.
  EXPECT_NE(keys[1], keys[2]);
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_NE(keys[0], c.base_key);
}

TEST(StageKeysTest, EachKeyChainsTheOneBefore) {
  KeyCase c = Case("FROM busybox\nRUN a\nRUN b\n");
  std::vector<Digest> keys = Keys(c);
  planner::PlannedBuild plan = PlanOf(c.dockerfile);
  const auto& planned = plan.graph.stages(0).instructions();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], planner::InstructionKey(c.base_key, planned[0], {}));
  EXPECT_EQ(keys[1], planner::InstructionKey(keys[0], planned[1], {}));
}

TEST(StageKeysTest, AnotherBaseChangesEveryKey) {
  KeyCase c = Case("FROM busybox\nRUN a\nRUN b\n");
  std::vector<Digest> before = Keys(c);
  c.base_key = planner::ImageBaseKey("sha256:base", "linux/arm64");
  std::vector<Digest> after = Keys(c);
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(before[0], after[0]);
  EXPECT_NE(before[1], after[1]);
}

TEST(StageKeysTest, AnInstructionsTextChangesItsKeyAndLaterOnes) {
  std::vector<Digest> a = Keys(Case("FROM busybox\nRUN a\nRUN b\nRUN c\n"));
  std::vector<Digest> b = Keys(Case("FROM busybox\nRUN a\nRUN B\nRUN c\n"));
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_NE(a[1], b[1]);
  EXPECT_NE(a[2], b[2]);
}

TEST(StageKeysTest, ABuildArgReachesTheRunsThatSeeIt) {
  KeyCase c = Case("FROM busybox\nRUN before\nARG V\nRUN after\n");
  c.options.build_args["V"] = "1";
  std::vector<Digest> one = Keys(c);
  c.options.build_args["V"] = "2";
  std::vector<Digest> two = Keys(c);
  ASSERT_EQ(one.size(), two.size());
  ASSERT_GE(one.size(), 2u);
  // The RUN above the ARG does not see it; the last RUN does.
  EXPECT_EQ(one.front(), two.front());
  EXPECT_NE(one.back(), two.back());
}

TEST(StageKeysTest, AnUndeclaredBuildArgChangesNothing) {
  KeyCase c = Case("FROM busybox\nCOPY src /src\nRUN make\n");
  std::vector<Digest> without = Keys(c);
  c.options.build_args["UNUSED"] = "1";
  EXPECT_EQ(without, Keys(c));
}

TEST(StageKeysTest, TheTargetPlatformReachesARunOnlyThroughItsArgs) {
  KeyCase plain = Case("FROM busybox\nRUN uname -m\n");
  KeyCase arch = Case("FROM busybox\nARG TARGETARCH\nRUN echo $TARGETARCH\n");
  std::vector<Digest> plain_amd = Keys(plain);
  std::vector<Digest> arch_amd = Keys(arch);
  plain.options.target_platform = {"linux", "arm64", ""};
  arch.options.target_platform = {"linux", "arm64", ""};
  // The base key carries the platform; with it held the same, only the
  // stage that reads TARGETARCH changes.
  EXPECT_EQ(plain_amd, Keys(plain));
  ASSERT_FALSE(arch_amd.empty());
  EXPECT_NE(arch_amd.back(), Keys(arch).back());
}

TEST(StageKeysTest, CopiedContentChangesTheKeyButOtherFilesDoNot) {
  KeyCase c = Case("FROM busybox\nRUN a\nCOPY src /src\nRUN b\n");
  std::vector<Digest> base = Keys(c);
  ASSERT_EQ(base.size(), 3u);

  KeyCase edited = c;
  edited.context = ContextBuilder()
                       .Dir("src")
                       .File("src/main.c", "int main(){}")
                       .File("unused.txt", "x")
                       .Build();
  std::vector<Digest> after_edit = Keys(edited);
  ASSERT_EQ(after_edit.size(), 3u);
  EXPECT_EQ(after_edit[0], base[0]);
  EXPECT_NE(after_edit[1], base[1]);
  EXPECT_NE(after_edit[2], base[2]);

  KeyCase unrelated = c;
  unrelated.context = ContextBuilder()
                          .Dir("src")
                          .File("src/main.c", "int main;")
                          .File("unused.txt", "changed")
                          .Build();
  EXPECT_EQ(Keys(unrelated), base);

  KeyCase timestamps = c;
  for (proto::ContextEntry& entry : *timestamps.context.mutable_entries()) {
    entry.set_mtime_unix_nanos(123456789);
  }
  EXPECT_EQ(Keys(timestamps), base);

  KeyCase mode = c;
  mode.context.mutable_entries(1)->set_mode(0755);
  EXPECT_NE(Keys(mode)[1], base[1]);
}

TEST(StageKeysTest, ExcludedFilesDoNotReachTheKey) {
  KeyCase c = Case("FROM busybox\nCOPY --exclude=*.txt . /app\n");
  std::vector<Digest> base = Keys(c);
  c.context.mutable_entries(2)->set_digest(Digest::Of("other").ToString());
  EXPECT_EQ(Keys(c), base);
  c.context.mutable_entries(1)->set_digest(Digest::Of("other").ToString());
  EXPECT_NE(Keys(c), base);
}

TEST(StageKeysTest, ABindMountsContentChangesTheRunsKey) {
  KeyCase c = Case("FROM busybox\nRUN --mount=type=bind,source=src make\n");
  std::vector<Digest> base = Keys(c);
  ASSERT_EQ(base.size(), 1u);
  c.context.mutable_entries(2)->set_digest(Digest::Of("other").ToString());
  EXPECT_EQ(Keys(c), base) << "unused.txt is not under the mount";
  c.context.mutable_entries(1)->set_digest(Digest::Of("other").ToString());
  EXPECT_NE(Keys(c), base);
}

TEST(StageKeysTest, ASecretsValueDigestReachesOnlyTheRunThatMountsIt) {
  KeyCase c = Case(
      "FROM busybox\nRUN plain\n"
      "RUN --mount=type=secret,id=token use-it\n");
  c.secrets["token"] = Digest::Of("hmac of one value");
  std::vector<Digest> one = Keys(c);
  c.secrets["token"] = Digest::Of("hmac of another value");
  std::vector<Digest> two = Keys(c);
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(one[0], two[0]);
  EXPECT_NE(one[1], two[1]);

  // Without the secret the key is that of an absent secret, which no
  // value's digest matches.
  c.secrets.clear();
  std::vector<Digest> absent = Keys(c);
  ASSERT_EQ(absent.size(), 2u);
  EXPECT_NE(absent[1], one[1]);
  c.secrets["token"] = AbsentSecretDigest("token");
  EXPECT_EQ(Keys(c), absent);
}

TEST(StageKeysTest, ASecretOfAnotherIdChangesNothing) {
  KeyCase c = Case("FROM busybox\nRUN --mount=type=secret,id=token use-it\n");
  std::vector<Digest> base = Keys(c);
  c.secrets["other"] = Digest::Of("hmac");
  EXPECT_EQ(Keys(c), base);
}

TEST(StageKeysTest, KeysStopBeforeACopyFromAStageNotBuiltYet) {
  KeyCase c = Case(
      "FROM busybox AS build\nRUN make\n"
      "FROM busybox\nRUN a\nCOPY --from=build /out /app\nRUN b\n");
  std::vector<Digest> pending = Keys(c);
  ASSERT_EQ(pending.size(), 1u);

  c.stages[0] = planner::LayersDigest({"sha256:one"});
  std::vector<Digest> known = Keys(c);
  ASSERT_EQ(known.size(), 3u);
  EXPECT_EQ(known[0], pending[0]);

  c.stages[0] = planner::LayersDigest({"sha256:two"});
  std::vector<Digest> rebuilt = Keys(c);
  ASSERT_EQ(rebuilt.size(), 3u);
  EXPECT_EQ(rebuilt[0], known[0]);
  EXPECT_NE(rebuilt[1], known[1]);
  EXPECT_NE(rebuilt[2], known[2]);
}

TEST(StageKeysTest, ACopyFromAnImageWaitsForThatImage) {
  KeyCase c = Case("FROM busybox\nCOPY --from=alpine:3 /etc/os-release /\n");
  EXPECT_TRUE(Keys(c).empty());
  c.images["alpine:3"] = planner::LayersDigest({"sha256:a"});
  std::vector<Digest> one = Keys(c);
  c.images["alpine:3"] = planner::LayersDigest({"sha256:b"});
  std::vector<Digest> two = Keys(c);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_NE(one[0], two[0]);
}

TEST(StageKeysTest, AnAddedUrlWaitsForItsContentDigest) {
  const std::string url = "https://example.com/tool.tar.gz";
  KeyCase c = Case("FROM busybox\nRUN a\nADD " + url + " /opt/\n");
  std::vector<Digest> pending = Keys(c);
  ASSERT_EQ(pending.size(), 1u);
  c.urls[url] = Digest::Of("version 1");
  std::vector<Digest> one = Keys(c);
  c.urls[url] = Digest::Of("version 2");
  std::vector<Digest> two = Keys(c);
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(one[0], pending[0]);
  EXPECT_NE(one[1], two[1]);
}

TEST(StageKeysTest, AMissingSourceIsNotFoundAtItsLine) {
  KeyCase c = Case("FROM busybox\nRUN a\nCOPY app.js /app\n");
  absl::StatusOr<std::vector<Digest>> keys = KeysOf(c);
  ASSERT_EQ(keys.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(keys.status().message(),
            "Dockerfile:3: COPY app.js /app: \"/app.js\": not found");
}

TEST(StageKeysTest, AMissingBindMountSourceIsNotFound) {
  KeyCase c = Case("FROM busybox\nRUN --mount=type=bind,source=gone true\n");
  absl::StatusOr<std::vector<Digest>> keys = KeysOf(c);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(keys.status().message(), "Dockerfile:2: "))
      << keys.status();
}

}  // namespace
}  // namespace farm::scheduler
