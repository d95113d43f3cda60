#include "scheduler/build_preparation.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "cache/memory_blob_store.h"
#include "gtest/gtest.h"
#include "planner/manifest_tree.h"
#include "scheduler/context_testing.h"

namespace farm::scheduler {
namespace {

using testing::ContextBuilder;
using testing::PlanOf;

// Resolves from a map of references; remembers every call.
class MapImageResolver : public ImageResolver {
 public:
  void Put(const std::string& reference, const std::string& env = "") {
    proto::ImageContent content;
    content.set_reference(reference);
    content.set_manifest_digest(Digest::Of("manifest " + reference).ToString());
    content.set_config(
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"" +
        env + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
    images_[reference] = content;
  }
  absl::StatusOr<proto::ImageContent> Resolve(const std::string& reference,
                                              const std::string& platform,
                                              bool pull) override {
    calls.emplace_back(reference, platform, pull);
    auto it = images_.find(reference);
    if (it == images_.end()) {
      return absl::NotFoundError("no image " + reference);
    }
    return it->second;
  }

  std::vector<std::tuple<std::string, std::string, bool>> calls;

 private:
  std::map<std::string, proto::ImageContent> images_;
};

proto::BuildRequest Request(const std::string& dockerfile) {
  proto::BuildRequest request;
  request.set_dockerfile(dockerfile);
  return request;
}

TEST(PrepareBuildTest, ResolvesTheBasesAndTheImagesCopiedFrom) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  resolver.Put("alpine:3");
  absl::StatusOr<PreparedBuild> prepared = PrepareBuild(
      Request("FROM busybox\nCOPY --from=alpine:3 /etc/os-release /\n"),
      resolver);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->platform, "linux/amd64");
  ASSERT_EQ(prepared->images.size(), 2u);
  EXPECT_EQ(prepared->images.at("busybox").manifest_digest(),
            Digest::Of("manifest busybox").ToString());
  EXPECT_EQ(prepared->images.at("alpine:3").reference(), "alpine:3");
  EXPECT_EQ(prepared->plan.graph.stages_size(), 1);
  EXPECT_EQ(prepared->plan.instructions.at(0).size(), 1u);
  EXPECT_TRUE(prepared->warnings.empty());
}

TEST(PrepareBuildTest, PassesThePlatformAndPullToTheResolver) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  proto::BuildRequest request = Request("FROM busybox\nRUN true\n");
  request.set_platform("linux/arm64");
  request.set_pull(true);
  absl::StatusOr<PreparedBuild> prepared = PrepareBuild(request, resolver);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->platform, "linux/arm64");
  ASSERT_EQ(resolver.calls.size(), 1u);
  EXPECT_EQ(resolver.calls[0],
            std::make_tuple(std::string("busybox"), std::string("linux/arm64"),
                            true));
}

TEST(PrepareBuildTest, ABaseImagesEnvReachesTheExpansion) {
  MapImageResolver resolver;
  resolver.Put("busybox", "APP=/srv/app");
  absl::StatusOr<PreparedBuild> prepared =
      PrepareBuild(Request("FROM busybox\nWORKDIR $APP\n"), resolver);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->plan.graph.stages(0).instructions(0).text(),
            "WORKDIR /srv/app");
}

TEST(PrepareBuildTest, BuildArgsAndTheTargetShapeThePlan) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  proto::BuildRequest request = Request(
      "FROM busybox AS one\nARG V\nRUN echo $V\n"
      "FROM busybox AS two\nRUN two\n");
  request.set_target("one");
  (*request.mutable_build_args())["V"] = "hello";
  absl::StatusOr<PreparedBuild> prepared = PrepareBuild(request, resolver);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  const proto::StageGraph& graph = prepared->plan.graph;
  ASSERT_EQ(graph.stages_size(), 1);
  EXPECT_EQ(graph.stages(0).name(), "one");
  EXPECT_EQ(graph.stages(0).instructions(1).build_args().at("V"), "hello");
}

TEST(PrepareBuildTest, LintWarningsNameTheirLine) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  proto::BuildRequest request = Request("FROM busybox as build\nRUN true\n");
  request.set_dockerfile_name("ci.Dockerfile");
  absl::StatusOr<PreparedBuild> prepared = PrepareBuild(request, resolver);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(prepared->warnings.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(prepared->warnings[0], "FromAsCasing: "))
      << prepared->warnings[0];
  EXPECT_TRUE(absl::EndsWith(prepared->warnings[0], " (ci.Dockerfile:1)"))
      << prepared->warnings[0];
}

TEST(PrepareBuildTest, ADockerfileErrorNamesTheFileAndLine) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  absl::StatusOr<PreparedBuild> prepared =
      PrepareBuild(Request("FROM busybox\nNOTANINSTRUCTION x\n"), resolver);
  ASSERT_EQ(prepared.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(prepared.status().message(), "Dockerfile:2"))
      << prepared.status();
}

TEST(PrepareBuildTest, AMissingImageCopiedFromIsNotFoundAtItsLine) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  absl::StatusOr<PreparedBuild> prepared = PrepareBuild(
      Request("FROM busybox\nRUN true\nCOPY --from=gone:1 /x /x\n"), resolver);
  ASSERT_EQ(prepared.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(prepared.status().message(), "Dockerfile:3"))
      << prepared.status();
  EXPECT_TRUE(absl::StrContains(prepared.status().message(), "no image gone:1"))
      << prepared.status();
}

TEST(PrepareBuildTest, AMalformedPlatformIsRefused) {
  MapImageResolver resolver;
  resolver.Put("busybox");
  proto::BuildRequest request = Request("FROM busybox\n");
  request.set_platform("linux//");
  EXPECT_FALSE(PrepareBuild(request, resolver).ok());
  EXPECT_TRUE(resolver.calls.empty());
}

// Context for NeededContextBlobs: two files share their content.
proto::ContextManifest SharedContent() {
  return ContextBuilder()
      .Dir("a")
      .File("a/one.txt", "same")
      .File("a/two.txt", "same")
      .Dir("b")
      .File("b/three.txt", "three!")
      .File("mounted.sh", "#!/bin/sh")
      .File("unread.bin", "never read")
      .Build();
}

TEST(NeededContextBlobsTest, EveryFileTheStagesReadOncePerDigest) {
  planner::PlannedBuild plan = PlanOf(
      "FROM busybox AS build\nCOPY a /a\n"
      "RUN --mount=type=bind,source=mounted.sh sh /mounted.sh\n"
      "FROM busybox\nCOPY b/three.txt /\n"
      "COPY --from=build /a /a\n"
      "ADD https://example.com/x.tar /\n");
  proto::ContextManifest context = SharedContent();
  planner::ManifestTree tree(context);
  NeededContext needed = NeededContextBlobs(plan, tree, context);
  std::vector<Digest> expected = {Digest::Of("same"), Digest::Of("three!"),
                                  Digest::Of("#!/bin/sh")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(needed.digests, expected);
  // "same" counts once.
  EXPECT_EQ(needed.bytes, 4 + 6 + 9);
}

TEST(NeededContextBlobsTest, AStageTheTargetDoesNotNeedReadsNothing) {
  planner::PlannedBuild plan = PlanOf(
      "FROM busybox AS unused\nCOPY a /a\n"
      "FROM busybox\nCOPY b/three.txt /\n");
  proto::ContextManifest context = SharedContent();
  planner::ManifestTree tree(context);
  NeededContext needed = NeededContextBlobs(plan, tree, context);
  EXPECT_EQ(needed.digests, std::vector<Digest>{Digest::Of("three!")});
  EXPECT_EQ(needed.bytes, 6);
}

TEST(NeededContextBlobsTest, AMissingSourceIsSkipped) {
  planner::PlannedBuild plan =
      PlanOf("FROM busybox\nCOPY gone.txt /\nCOPY b /b\n");
  proto::ContextManifest context = SharedContent();
  planner::ManifestTree tree(context);
  NeededContext needed = NeededContextBlobs(plan, tree, context);
  EXPECT_EQ(needed.digests, std::vector<Digest>{Digest::Of("three!")});
  EXPECT_EQ(needed.bytes, 6);
}

TEST(NeededContextBlobsTest, CopiesFromStagesReadNoContext) {
  planner::PlannedBuild plan = PlanOf(
      "FROM busybox AS build\nRUN make\n"
      "FROM busybox\nCOPY --from=build /a /a\n");
  proto::ContextManifest context = SharedContent();
  planner::ManifestTree tree(context);
  NeededContext needed = NeededContextBlobs(plan, tree, context);
  EXPECT_TRUE(needed.digests.empty());
  EXPECT_EQ(needed.bytes, 0);
}

TEST(ContextBytesOfTest, CountsEachDigestOnceAndOnlyFiles) {
  proto::ContextManifest context = SharedContent();
  EXPECT_EQ(ContextBytesOf(context, {Digest::Of("same")}), 4);
  EXPECT_EQ(ContextBytesOf(context, {Digest::Of("same"), Digest::Of("same")}),
            4);
  EXPECT_EQ(
      ContextBytesOf(context, {Digest::Of("three!"), Digest::Of("never read")}),
      6 + 10);
  EXPECT_EQ(ContextBytesOf(context, {Digest::Of("not in the context")}), 0);
  EXPECT_EQ(ContextBytesOf(context, {}), 0);
}

TEST(FetchUrlSourcesTest, APlanWithoutUrlsFetchesNothing) {
  planner::PlannedBuild plan = PlanOf("FROM busybox\nADD local.tar /\n");
  cache::MemoryBlobStore blobs;
  absl::StatusOr<std::map<std::string, Digest>> fetched =
      FetchUrlSources(plan, "Dockerfile", blobs, "/nonexistent/spool", nullptr);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(fetched->empty());
}

TEST(FetchUrlSourcesTest, ARefusedUrlNamesItsLine) {
  planner::PlannedBuild plan =
      PlanOf("FROM busybox\nRUN true\nADD http://127.0.0.1:9/tool.tar /\n");
  cache::MemoryBlobStore blobs;
  const std::string spool = ::testing::TempDir() + "/fetch_spool";
  absl::StatusOr<std::map<std::string, Digest>> fetched =
      FetchUrlSources(plan, "Dockerfile", blobs, spool, nullptr);
  ASSERT_FALSE(fetched.ok());
  EXPECT_TRUE(absl::StartsWith(fetched.status().message(),
                               "Dockerfile:3: ADD http://127.0.0.1:9/tool.tar"))
      << fetched.status();
}

}  // namespace
}  // namespace farm::scheduler
