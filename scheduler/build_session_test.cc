// BuildSession, driven on the test's own thread: every input (the client's
// messages, the worker's results) is queued before Run, which then works
// through them and returns; what the session said is read back with Follow.
#include "scheduler/build_session.h"

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "image/oci/manifest.h"
#include "scheduler/session_testing.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

using testing::BlobMessage;
using testing::CancelMessage;
using testing::kApp;
using testing::ManifestMessage;
using testing::Request;
using testing::RequestMessage;
using testing::WorkerFor;

using BuildSessionTest = testing::SessionTest;

TEST_F(BuildSessionTest, AStreamMustOpenWithARequest) {
  BuildSession session("b1", Deps());
  session.FromClient(ManifestMessage());
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(result.error(), "a build stream must start with a BuildRequest");
}

TEST_F(BuildSessionTest, UploadsTheContextRunsTheJobAndTagsTheImage) {
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> worker =
      core_.WorkerJoined(WorkerFor("w1", {"linux/amd64"}));
  ASSERT_TRUE(worker.ok()) << worker.status();
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(kApp, kApp, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);

  ASSERT_FALSE(said.empty());
  EXPECT_EQ(said.front().accepted().build_id(), "b1");
  EXPECT_EQ(Asked(said), std::vector<std::string>{Digest::Of(kApp).ToString()});
  proto::BuildResult result = ResultOf(said);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(
      std::vector<std::string>(result.tags().begin(), result.tags().end()),
      (std::vector<std::string>{"docker.io/library/app:1"}));
  EXPECT_EQ(result.jobs_dispatched(), 1);
  EXPECT_EQ(result.uploaded_bytes(), static_cast<int64_t>(strlen(kApp)));
  EXPECT_EQ(result.image_id(),
            Digest::Of(WorkerOutput("amd64").config()).ToString());
  EXPECT_TRUE(cache_.blobs()->Contains(Digest::Of(kApp)));
  absl::StatusOr<ImageInfo> stored = images_->Get("app:1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->record.manifest_digest, result.manifest_digest());

  // The job the worker got reads only app.txt, which the farm now holds.
  std::vector<proto::StageJob> jobs;
  while (auto message = (*worker)->Pop(absl::ZeroDuration())) {
    if (message->has_assign()) jobs.push_back(message->assign());
  }
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_EQ(jobs[0].context().entries_size(), 1);
  EXPECT_EQ(jobs[0].context().entries(0).path(), "app.txt");
  EXPECT_EQ(jobs[0].keys_size(), 2);  // FROM scratch and the COPY
}

TEST_F(BuildSessionTest, ContextTheFarmHoldsIsNotAskedFor) {
  ASSERT_TRUE(cache::PutBlob(*cache_.blobs(), kApp).ok());
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  EXPECT_TRUE(Asked(said).empty());
  proto::BuildResult result = ResultOf(said);
  EXPECT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.uploaded_bytes(), 0);
}

TEST_F(BuildSessionTest, AReattachedClientSendsItsBlobAgainFromItsStart) {
  const std::string app = kApp;
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(app, app.substr(0, 5), false));
  session.ClientDetached();
  session.ClientAttached();
  session.FromClient(BlobMessage(app, app.substr(0, 5), false));
  session.FromClient(BlobMessage(app, app.substr(5), true));
  // Once stored, a blob sent again is ignored.
  session.FromClient(BlobMessage(app, app, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.uploaded_bytes(), static_cast<int64_t>(5 + app.size()));
  absl::StatusOr<std::string> stored =
      cache::GetBlob(*cache_.blobs(), Digest::Of(app));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, app);
}

TEST_F(BuildSessionTest, WhatAReplacedStreamSaysLateIsDropped) {
  const std::string app = kApp;
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()), 0);
  session.FromClient(ManifestMessage(), 0);
  session.FromClient(BlobMessage(app, app.substr(0, 5), false), 0);
  const int second = session.ClientAttached();
  EXPECT_EQ(second, 1);
  // The first stream's handler had read one more chunk, and notices its
  // client is gone only now.
  session.FromClient(BlobMessage(app, app.substr(5, 5), false), 0);
  session.ClientDetached(0);
  session.FromClient(BlobMessage(app, app, true), second);
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  ASSERT_TRUE(result.ok()) << result.error();
  absl::StatusOr<std::string> stored =
      cache::GetBlob(*cache_.blobs(), Digest::Of(app));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, app);
}

TEST_F(BuildSessionTest, ABlobTheBuildDidNotAskForFailsIt) {
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage("other", "other", true));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(result.error(), "the client sent blob " +
                                Digest::Of("other").ToString() +
                                ", which the build did not ask for");
  EXPECT_FALSE(cache_.blobs()->Contains(Digest::Of("other")));
}

TEST_F(BuildSessionTest, ACancelDuringTheUploadEndsTheBuild) {
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(CancelMessage());
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kCancelled));
  EXPECT_EQ(result.error(), "cancelled by the client");
}

TEST_F(BuildSessionTest, AContextOverTheFarmsLimitIsRefused) {
  SessionDeps deps = Deps();
  deps.max_context_bytes = 5;
  BuildSession session("b1", std::move(deps));
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(absl::StartsWith(
      result.error(), absl::StrCat("the build context holds ", strlen(kApp),
                                   " bytes, over this farm's limit of 5")))
      << result.error();
}

TEST_F(BuildSessionTest, APlatformNamedTwiceIsRefused) {
  proto::BuildRequest request = Request();
  request.add_platforms("linux/amd64");
  request.add_platforms("linux/amd64");
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(request));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(result.error(), "--platform names linux/amd64 twice");
}

TEST_F(BuildSessionTest, AnEntitlementTheBuildDidNotAskForIsRefused) {
  proto::BuildRequest request = Request();
  request.set_dockerfile("FROM scratch\nRUN --security=insecure true\n");
  SessionDeps deps = Deps();
  deps.entitlements = {"security.insecure"};
  BuildSession session("b1", std::move(deps));
  session.FromClient(RequestMessage(request));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StartsWith(
      result.error(),
      "Dockerfile:2: RUN --security=insecure needs the security.insecure "
      "entitlement"))
      << result.error();
}

TEST_F(BuildSessionTest, AMissingBaseImageFailsBeforeTheUpload) {
  proto::BuildRequest request = Request();
  request.set_dockerfile("FROM nowhere:1\nCOPY app.txt /\n");
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(request));
  session.FromClient(ManifestMessage());
  std::vector<proto::BuildServerMessage> said = RunToEnd(session);
  EXPECT_TRUE(Asked(said).empty());
  proto::BuildResult result = ResultOf(said);
  EXPECT_EQ(result.error_code(), static_cast<int>(absl::StatusCode::kNotFound))
      << result.error();
}

TEST_F(BuildSessionTest, EveryPlatformsWarningIsSaidOnce) {
  proto::BuildRequest request = Request();
  request.set_dockerfile("FROM scratch as app\nCOPY app.txt /app.txt\n");
  request.add_platforms("linux/amd64");
  request.add_platforms("linux/arm64");
  proto::BuildResult result = BuildForTwoPlatforms(request);
  ASSERT_TRUE(result.ok()) << result.error();
  ASSERT_EQ(result.warnings_size(), 1);
  EXPECT_TRUE(absl::StartsWith(result.warnings(0), "FromAsCasing: "))
      << result.warnings(0);
}

TEST_F(BuildSessionTest, ALargeJobContextTravelsThroughTheCas) {
  absl::StatusOr<std::shared_ptr<WorkerOutbox>> worker =
      core_.WorkerJoined(WorkerFor("w1", {"linux/amd64"}));
  ASSERT_TRUE(worker.ok()) << worker.status();
  SessionDeps deps = Deps();
  deps.inline_context_limit = 1;
  BuildSession session("b1", std::move(deps));
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(kApp, kApp, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  ASSERT_TRUE(ResultOf(RunToEnd(session)).ok());

  std::optional<proto::StageJob> job;
  while (auto message = (*worker)->Pop(absl::ZeroDuration())) {
    if (message->has_assign()) job = message->assign();
  }
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->context().entries_size(), 0);
  absl::StatusOr<Digest> digest = Digest::Parse(job->context_digest());
  ASSERT_TRUE(digest.ok()) << digest.status();
  absl::StatusOr<std::string> bytes = cache::GetBlob(*cache_.blobs(), *digest);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  proto::ContextManifest moved;
  ASSERT_TRUE(moved.ParseFromString(*bytes));
  ASSERT_EQ(moved.entries_size(), 1);
  EXPECT_EQ(moved.entries(0).path(), "app.txt");
}

TEST_F(BuildSessionTest, AMultiPlatformBuildStoresAnIndex) {
  proto::BuildRequest request = Request();
  request.add_platforms("linux/amd64");
  request.add_platforms("linux/arm64");
  proto::BuildResult result = BuildForTwoPlatforms(request);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.jobs_dispatched(), 2);
  ASSERT_EQ(result.platform_images_size(), 2);
  EXPECT_EQ(result.platform_images(0).platform(), "linux/amd64");
  EXPECT_EQ(result.platform_images(1).platform(), "linux/arm64");
  EXPECT_EQ(result.image_id(), result.manifest_digest());

  absl::StatusOr<Digest> digest = Digest::Parse(result.manifest_digest());
  ASSERT_TRUE(digest.ok()) << digest.status();
  absl::StatusOr<std::string> json = cache::GetBlob(*cache_.blobs(), *digest);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<image::oci::Index> index = image::oci::Index::Parse(*json);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[1].digest.ToString(),
            result.platform_images(1).manifest_digest());
  absl::StatusOr<ImageInfo> stored = images_->Get("app:1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->is_index());
}

TEST_F(BuildSessionTest, AFailedJobFailsTheBuild) {
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(Request()));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(kApp, kApp, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0),
                    absl::InternalError("the worker's disk caught fire"), {});
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(
      absl::StrContains(result.error(), "the worker's disk caught fire"))
      << result.error();
  EXPECT_FALSE(images_->Get("app:1").ok());
}

TEST_F(BuildSessionTest, PushWithoutRegistryAccessFails) {
  proto::BuildRequest request = Request();
  request.set_push(true);
  BuildSession session("b1", Deps());
  session.FromClient(RequestMessage(request));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(kApp, kApp, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(result.error(),
            "--push: this farm has no registry access configured");
}

TEST_F(BuildSessionTest, PushSendsEveryTag) {
  proto::BuildRequest request = Request();
  request.add_tags("app:latest");
  request.set_push(true);
  std::vector<std::string> pushed;
  SessionDeps deps = Deps();
  deps.push = [&pushed](const std::string& tag) {
    pushed.push_back(tag);
    return absl::OkStatus();
  };
  BuildSession session("b1", std::move(deps));
  session.FromClient(RequestMessage(request));
  session.FromClient(ManifestMessage());
  session.FromClient(BlobMessage(kApp, kApp, true));
  session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                    WorkerOutput("amd64"));
  proto::BuildResult result = ResultOf(RunToEnd(session));
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(pushed, (std::vector<std::string>{"docker.io/library/app:1",
                                              "docker.io/library/app:latest"}));
}

}  // namespace
}  // namespace farm::scheduler
