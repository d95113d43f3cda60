#include "planner/planner.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace farm::planner {
namespace {

absl::StatusOr<proto::StageGraph> PlanText(const std::string& text,
                                           PlanOptions options = {}) {
  absl::StatusOr<dockerfile::Dockerfile> df =
      dockerfile::ParseDockerfile(text, "Dockerfile");
  if (!df.ok()) return df.status();
  return Plan(*df, options);
}

std::vector<int> Order(const proto::StageGraph& graph) {
  std::vector<int> out;
  for (const auto& stage : graph.stages()) out.push_back(stage.index());
  return out;
}

std::vector<std::string> Texts(const proto::PlannedStage& stage) {
  std::vector<std::string> out;
  for (const auto& in : stage.instructions()) out.push_back(in.text());
  return out;
}

TEST(PlannerTest, PrunesStagesTheTargetDoesNotNeed) {
  auto graph = PlanText(
      "FROM alpine AS a\nRUN a\n"
      "FROM alpine AS b\nRUN b\n"
      "FROM a AS c\nRUN c\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), (std::vector<int>{0, 2}));
  EXPECT_EQ(graph->stages(1).base(), "a");
  EXPECT_EQ(graph->stages(1).base_stage_index(), 0);
  EXPECT_EQ(graph->target_index(), 2);
}

TEST(PlannerTest, DiamondRunsMiddleStagesBeforeTheJoin) {
  auto graph = PlanText(
      "FROM alpine AS base\nRUN base\n"
      "FROM base AS left\nRUN left\n"
      "FROM base AS right\nRUN right\n"
      "FROM base AS join\n"
      "COPY --from=left /l /l\nCOPY --from=right /r /r\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), (std::vector<int>{0, 1, 2, 3}));
  const auto& join = graph->stages(3);
  EXPECT_EQ(std::vector<int>(join.depends_on().begin(), join.depends_on().end()),
            (std::vector<int>{0, 1, 2}));
}

TEST(PlannerTest, ForwardCopyFromRunsTheLaterStageFirst) {
  auto graph = PlanText(
      "FROM alpine AS app\nCOPY --from=tools /bin/t /t\n"
      "FROM busybox AS tools\nRUN make\n",
      PlanOptions{.target = "APP"});
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), (std::vector<int>{1, 0}));
  EXPECT_EQ(graph->stages(1).instructions(0).sources(0).stage_index(), 1);
}

TEST(PlannerTest, ForwardFromNameIsAnImage) {
  // Docker registers names as it reads FROM lines: `FROM later` before the
  // stage called "later" pulls an image of that name.
  auto graph = PlanText("FROM later AS first\nFROM alpine AS later\n",
                        PlanOptions{.target = "first"});
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->stages_size(), 1);
  EXPECT_EQ(graph->stages(0).base_stage_index(), -1);
  EXPECT_EQ(graph->stages(0).base(), "later");
}

TEST(PlannerTest, IndexReferencesNameStagesByPosition) {
  auto graph = PlanText(
      "FROM alpine\nRUN one\nFROM alpine\nRUN two\n"
      "FROM scratch\nCOPY --from=0 /a /a\nRUN --mount=from=1,target=/m x\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(graph->stages(2).base(), "scratch");
}

TEST(PlannerTest, IndexOutOfRangeIsAnError) {
  auto graph = PlanText("FROM alpine\nCOPY --from=2 /a /a\n");
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.status().message(),
            "Dockerfile:2: invalid stage index 2: the Dockerfile has 1 stage");
}

TEST(PlannerTest, UnknownFromNameIsAnImage) {
  auto graph = PlanText("FROM alpine\nCOPY --from=nginx:1.25 /etc/nginx /n\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const auto& source = graph->stages(0).instructions(0).sources(0);
  EXPECT_EQ(source.stage_index(), -1);
  EXPECT_EQ(source.image(), "nginx:1.25");
  EXPECT_EQ(graph->stages(0).depends_on_size(), 0);
}

TEST(PlannerTest, CyclesAreErrors) {
  auto graph = PlanText(
      "FROM alpine AS a\nCOPY --from=b /x /x\n"
      "FROM alpine AS b\nCOPY --from=a /y /y\n");
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.status().message(),
            "Dockerfile:4: circular dependency detected on stage: a");
  auto self = PlanText("FROM alpine AS me\nCOPY --from=me /x /y\n");
  EXPECT_EQ(self.status().message(),
            "Dockerfile:2: circular dependency detected on stage: me");
}

TEST(PlannerTest, UnknownTargetIsAnError) {
  auto graph = PlanText("FROM alpine AS a\n", PlanOptions{.target = "b"});
  EXPECT_EQ(graph.status().message(),
            "Dockerfile: target stage \"b\" could not be found");
}

TEST(PlannerTest, BrokenUnusedStageDoesNotFailThePlan) {
  auto graph = PlanText(
      "FROM alpine AS broken\nWORKDIR ${MISSING:?must be set}\n"
      "FROM alpine AS good\nRUN ok\n",
      PlanOptions{.target = "good"});
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), std::vector<int>{1});
  auto used = PlanText(
      "FROM alpine AS broken\nWORKDIR ${MISSING:?must be set}\n");
  EXPECT_EQ(used.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(used.status().message().find("Dockerfile:2:"), std::string::npos);
  EXPECT_NE(used.status().message().find("must be set"), std::string::npos);
}

TEST(PlannerTest, GlobalArgsReachFromLinesOnly) {
  auto graph = PlanText(
      "ARG TAG=3.19\nARG DIR=/srv\nFROM alpine:${TAG}\n"
      "WORKDIR ${DIR:-/unset}\nARG DIR\nWORKDIR ${DIR}\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->stages(0).base(), "alpine:3.19");
  EXPECT_EQ(Texts(graph->stages(0)),
            (std::vector<std::string>{"WORKDIR /unset", "ARG DIR",
                                      "WORKDIR /srv"}));
  EXPECT_EQ(graph->meta_args().at("TAG"), "3.19");
}

TEST(PlannerTest, BuildArgsOverrideDefaultsAndEnvOverridesArgs) {
  PlanOptions options;
  options.build_args = {{"TAG", "edge"}, {"V", "from-cli"}, {"NOPE", "1"}};
  auto graph = PlanText(
      "ARG TAG=3.19\nFROM alpine:$TAG\nARG V=default\nRUN echo $V\n"
      "LABEL v=$V\nENV V=env\nLABEL w=$V\n",
      options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const auto& stage = graph->stages(0);
  EXPECT_EQ(stage.base(), "alpine:edge");
  EXPECT_EQ(stage.instructions(1).build_args().at("V"), "from-cli");
  EXPECT_EQ(stage.instructions(2).text(), "LABEL v=\"from-cli\"");
  EXPECT_EQ(stage.instructions(2).build_args().at("V"), "from-cli");
  EXPECT_EQ(stage.instructions(4).text(), "LABEL w=\"env\"");
  EXPECT_EQ(stage.instructions(4).build_args_size(), 0);
  ASSERT_EQ(graph->warnings_size(), 1);
  EXPECT_EQ(graph->warnings(0),
            "One or more build-args [NOPE] were not consumed");
}

TEST(PlannerTest, AnArgDeclaredAfterAnEnvShadowsItAsInBuildKit) {
  PlanOptions options;
  options.build_args = {{"X", "from-cli"}};
  auto graph = PlanText(
      "FROM alpine\nENV X=from-env\nRUN echo $X\nARG X\nRUN echo $X\n"
      "LABEL x=$X\n",
      options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const auto& stage = graph->stages(0);
  EXPECT_EQ(stage.instructions(1).build_args_size(), 0);
  EXPECT_EQ(stage.instructions(3).build_args().at("X"), "from-cli");
  EXPECT_EQ(stage.instructions(4).text(), "LABEL x=\"from-cli\"");
  EXPECT_TRUE(graph->warnings().empty());
}

TEST(PlannerTest, PlatformArgsAreGlobalAndDeclarable) {
  PlanOptions options;
  options.target_platform = {"linux", "arm64", "v8"};
  auto graph = PlanText(
      "FROM --platform=$BUILDPLATFORM golang AS build\n"
      "ARG TARGETARCH\nRUN echo $TARGETARCH\n"
      "LABEL p=${TARGETPLATFORM:-none}\n",
      options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const auto& stage = graph->stages(0);
  EXPECT_EQ(stage.platform(), "linux/amd64");
  EXPECT_EQ(stage.instructions(1).build_args().at("TARGETARCH"), "arm64");
  EXPECT_EQ(stage.instructions(2).text(), "LABEL p=\"none\"");
}

TEST(PlannerTest, ProxyArgsReachRunWithoutDeclaration) {
  PlanOptions options;
  options.build_args = {{"HTTP_PROXY", "http://p:3128"}};
  auto graph = PlanText("FROM alpine\nRUN wget x\n", options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->stages(0).instructions(0).build_args().at("HTTP_PROXY"),
            "http://p:3128");
  EXPECT_EQ(graph->warnings_size(), 0);
}

TEST(PlannerTest, StageOnbuildTriggersRunInChildren) {
  auto graph = PlanText(
      "FROM alpine AS parent\nONBUILD COPY --from=assets /a /a\n"
      "ONBUILD RUN echo child\n"
      "FROM busybox AS assets\nRUN mk\n"
      "FROM parent\nRUN own\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Order(*graph), (std::vector<int>{0, 1, 2}));
  const auto& child = graph->stages(2);
  EXPECT_EQ(Texts(child), (std::vector<std::string>{
                              "COPY --from=assets /a /a", "RUN echo child",
                              "RUN own"}));
  EXPECT_TRUE(child.instructions(0).from_onbuild());
  EXPECT_EQ(child.instructions(0).line(), 6);
  EXPECT_FALSE(child.instructions(2).from_onbuild());
}

TEST(PlannerTest, EnvCarriesFromParentStage) {
  auto graph = PlanText(
      "FROM alpine AS a\nENV ROOT=/opt/app\n"
      "FROM a\nWORKDIR $ROOT/bin\n");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->stages(1).instructions(0).text(), "WORKDIR /opt/app/bin");
}

class FakeResolver : public BaseImageResolver {
 public:
  absl::StatusOr<std::optional<BaseImage>> Resolve(
      const std::string& reference, const std::string& platform) override {
    resolved.push_back(reference);
    platforms.push_back(platform);
    if (reference == "missing") return absl::NotFoundError("no such image");
    if (reference != "golang") return std::nullopt;
    BaseImage image;
    image.env = {"GOPATH=/go", "PATH=/usr/bin"};
    image.onbuild = {"RUN echo from-image"};
    return image;
  }
  std::vector<std::string> resolved;
  std::vector<std::string> platforms;
};

TEST(PlannerTest, ResolverSuppliesEnvAndTriggersOfImages) {
  FakeResolver resolver;
  PlanOptions options;
  options.resolver = &resolver;
  options.target = "app";
  auto graph = PlanText(
      "FROM unused-image AS unused\n"
      "FROM golang AS app\nWORKDIR $GOPATH/src\n",
      options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Texts(graph->stages(0)),
            (std::vector<std::string>{"RUN echo from-image",
                                      "WORKDIR /go/src"}));
  // Images of stages that are not built are never resolved.
  EXPECT_EQ(resolver.resolved, std::vector<std::string>{"golang"});
}

// An image is asked for the platform it must run on: its stage's
// FROM --platform, else the build's --platform.
TEST(PlannerTest, ResolverIsAskedForTheStagesPlatform) {
  FakeResolver resolver;
  PlanOptions options;
  options.resolver = &resolver;
  options.target_platform = {"linux", "arm64", ""};
  auto graph = PlanText(
      "FROM --platform=$BUILDPLATFORM golang AS build\n"
      "FROM alpine\nCOPY --from=build /a /a\n",
      options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(resolver.resolved.size(), 2u);
  for (size_t i = 0; i < resolver.resolved.size(); ++i) {
    EXPECT_EQ(resolver.platforms[i], resolver.resolved[i] == "golang"
                                         ? "linux/amd64"
                                         : "linux/arm64")
        << resolver.resolved[i];
  }
}

TEST(PlannerTest, ResolverErrorsNameTheFromLine) {
  FakeResolver resolver;
  PlanOptions options;
  options.resolver = &resolver;
  auto graph = PlanText("FROM alpine AS x\nFROM missing\n", options);
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(graph.status().message(), "Dockerfile:2: no such image");
}

TEST(PlannerTest, StageDisplayNames) {
  auto df = dockerfile::ParseDockerfile("FROM a AS Build\nFROM b\n", "D");
  ASSERT_TRUE(df.ok());
  EXPECT_EQ(StageDisplayName(df->stages[0]), "build");
  EXPECT_EQ(StageDisplayName(df->stages[1]), "1");
}

TEST(PlannerTest, ImagesForAnotherPlatformThanTheTargetGetTheirOwnKey) {
  EXPECT_EQ(ImageMapKey("busybox", "", "linux/arm64"), "busybox");
  EXPECT_EQ(ImageMapKey("busybox", "linux/arm64", "linux/arm64"), "busybox");
  EXPECT_EQ(ImageMapKey("busybox", "linux/amd64", "linux/arm64"),
            "busybox for linux/amd64");
  EXPECT_NE(ImageMapKey("busybox", "linux/arm/v7", "linux/arm/v6"),
            ImageMapKey("busybox", "linux/arm/v6", "linux/arm/v6"));
}

}  // namespace
}  // namespace farm::planner
