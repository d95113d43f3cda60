// For tests of BuildSession, driven on the test's own thread: a fixture
// with the session's dependencies in memory (the image store in a temporary
// directory), and the messages a client sends.
#ifndef FARM_SCHEDULER_SESSION_TESTING_H_
#define FARM_SCHEDULER_SESSION_TESTING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/memory_cache.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "image/oci/media_types.h"
#include "scheduler/build_session.h"
#include "scheduler/context_testing.h"

namespace farm::scheduler::testing {

// A Dockerfile of one job, and the content of the one context file it
// reads.
inline constexpr char kDockerfile[] = "FROM scratch\nCOPY app.txt /app.txt\n";
inline constexpr char kApp[] = "hello from the build context";

inline proto::BuildClientMessage RequestMessage(
    const proto::BuildRequest& request) {
  proto::BuildClientMessage message;
  *message.mutable_request() = request;
  return message;
}

inline proto::BuildClientMessage ManifestMessage() {
  proto::BuildClientMessage message;
  proto::ContextManifest manifest =
      ContextBuilder().File("app.txt", kApp).Build();
  *message.mutable_manifest()->mutable_entries() = manifest.entries();
  message.mutable_manifest()->set_last(true);
  return message;
}

inline proto::BuildClientMessage BlobMessage(const std::string& content,
                                             const std::string& data,
                                             bool last) {
  proto::BuildClientMessage message;
  message.mutable_blob()->set_digest(Digest::Of(content).ToString());
  message.mutable_blob()->set_data(data);
  message.mutable_blob()->set_last(last);
  return message;
}

inline proto::BuildClientMessage CancelMessage() {
  proto::BuildClientMessage message;
  message.mutable_cancel()->set_reason("stop");
  return message;
}

inline proto::BuildRequest Request() {
  proto::BuildRequest request;
  request.set_dockerfile(kDockerfile);
  request.add_tags("app:1");
  return request;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat(info->test_suite_name(), ".", info->name()));
    ASSERT_TRUE(MakeDirs(dir_).ok());
    auto images = ImageStore::Open(JoinPath(dir_, "images"), cache_.blobs());
    ASSERT_TRUE(images.ok()) << images.status();
    images_ = *std::move(images);
  }

  SessionDeps Deps() {
    SessionDeps deps;
    deps.blobs = cache_.blobs();
    deps.actions = cache_.actions();
    deps.core = &core_;
    deps.tenant = "default";
    deps.images = images_.get();
    deps.resolver = std::make_shared<StoreImageResolver>(images_.get());
    deps.spool_dir = JoinPath(dir_, "spool");
    // A session that waits for an input no test queued gives up soon.
    deps.client_grace = absl::Seconds(2);
    return deps;
  }

  // What a worker reports for the COPY stage of kDockerfile on `arch`;
  // its layer goes to the CAS.
  proto::StageOutput WorkerOutput(const std::string& arch) {
    const std::string layer = "layer tar for " + arch;
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), layer).ok());
    proto::StageOutput output;
    proto::LayerRef* ref = output.add_layers();
    ref->set_digest(Digest::Of(layer).ToString());
    ref->set_diff_id(Digest::Of(layer).ToString());
    ref->set_size(static_cast<int64_t>(layer.size()));
    ref->set_media_type(std::string(image::oci::kOciLayerTar));
    output.set_config(absl::StrCat(
        "{\"architecture\":\"", arch,
        "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"",
        Digest::Of(layer).ToString(), "\"]}}"));
    return output;
  }

  // Queues a whole build of `request` (a build of kDockerfile for one
  // platform): the request, the manifest, the blob and the worker's result.
  void QueueBuild(BuildSession& session, const proto::BuildRequest& request) {
    session.FromClient(RequestMessage(request));
    session.FromClient(ManifestMessage());
    session.FromClient(BlobMessage(kApp, kApp, true));
    session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                      WorkerOutput("amd64"));
  }

  // Builds `request` (for linux/amd64 and linux/arm64) to its end, each
  // platform's job done by a worker, and returns the result.
  proto::BuildResult BuildForTwoPlatforms(const proto::BuildRequest& request) {
    BuildSession session("b1", Deps());
    session.FromClient(RequestMessage(request));
    session.FromClient(ManifestMessage());
    session.FromClient(BlobMessage(kApp, kApp, true));
    session.OnJobDone(PlatformBuilds::JobStage(0, 0), absl::OkStatus(),
                      WorkerOutput("amd64"));
    session.OnJobDone(PlatformBuilds::JobStage(1, 0), absl::OkStatus(),
                      WorkerOutput("arm64"));
    return ResultOf(RunToEnd(session));
  }

  // Runs `session` over what is queued, then returns all it said. The
  // client goes away last, so that a session waiting for more ends.
  std::vector<proto::BuildServerMessage> RunToEnd(BuildSession& session) {
    session.ClientDetached();
    session.Run();
    EXPECT_TRUE(session.finished());
    std::vector<proto::BuildServerMessage> said;
    session.Follow(0, [&said](const proto::BuildServerMessage& message) {
      said.push_back(message);
      return true;
    });
    return said;
  }

  static proto::BuildResult ResultOf(
      const std::vector<proto::BuildServerMessage>& said) {
    EXPECT_FALSE(said.empty());
    if (said.empty() || !said.back().has_result()) return {};
    return said.back().result();
  }

  // The digests of every NeedBlobs message, in order.
  static std::vector<std::string> Asked(
      const std::vector<proto::BuildServerMessage>& said) {
    std::vector<std::string> out;
    for (const proto::BuildServerMessage& message : said) {
      if (!message.has_need()) continue;
      out.insert(out.end(), message.need().digests().begin(),
                 message.need().digests().end());
    }
    return out;
  }

  std::string dir_;
  cache::MemoryCache cache_;
  SchedulerCore core_{RealClock::Get(), JobSchedulerOptions()};
  std::unique_ptr<ImageStore> images_;
};

}  // namespace farm::scheduler::testing

#endif  // FARM_SCHEDULER_SESSION_TESTING_H_
