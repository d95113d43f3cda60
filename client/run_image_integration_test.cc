// RunImage end to end, as `farm run --remote` runs an image in the client
// (tests/local covers the local server's containers): an image served by a
// stand-in ImageService and a real CacheService on 127.0.0.1, unpacked by
// the snapshotter, run by runc
// with this process's stdout (redirected to a file here).
#include <fcntl.h>
#include <unistd.h>

#include "auth/authenticator.h"
#include "cache/memory_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "client/run_image.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/io.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "image/layer/layer_writer.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "proto/image.grpc.pb.h"
#include "tests/fixtures/busybox_rootfs.h"

namespace farm::client {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class OneImageService : public proto::ImageService::Service {
 public:
  grpc::Status InspectImage(grpc::ServerContext*,
                            const proto::InspectImageRequest* request,
                            proto::InspectImageResponse* response) override {
    if (request->reference() != "busybox:latest") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no such image: " + request->reference());
    }
    response->set_config(config);
    response->set_manifest(manifest);
    return grpc::Status::OK;
  }
  // The image's blobs from the cache, as the farm's ImageService serves
  // them (any blob of the image; this fake does not check which).
  grpc::Status ReadImageBlob(
      grpc::ServerContext*, const proto::ReadImageBlobRequest* request,
      grpc::ServerWriter<proto::ArchiveChunk>* writer) override {
    absl::StatusOr<Digest> digest = Digest::Parse(request->digest());
    if (request->reference() != "busybox:latest" || !digest.ok()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "not here");
    }
    absl::StatusOr<std::string> data =
        cache::GetBlob(*blobs, *digest, 64 << 20);
    if (!data.ok()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "gone");
    proto::ArchiveChunk chunk;
    chunk.set_data(*data);
    writer->Write(chunk);
    return grpc::Status::OK;
  }
  std::string config;
  std::string manifest;
  cache::BlobStore* blobs = nullptr;
};

class RunImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("run-image");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    const std::string rootfs = JoinPath(dir_, "rootfs");
    ASSERT_TRUE(MakeDirs(rootfs).ok());
    ASSERT_TRUE(fixtures::MakeBusyboxRootfs(rootfs).ok());
    std::string blob;
    StringWriter writer(&blob);
    absl::StatusOr<image::layer::LayerInfo> layer =
        image::layer::WriteLayer(rootfs, &writer);
    ASSERT_TRUE(layer.ok()) << layer.status();
    ASSERT_TRUE(cache::PutBlob(*cache_.blobs(), blob).ok());

    image::oci::ImageConfig config;
    config.architecture = "amd64";
    config.os = "linux";
    config.config.env = {"PATH=/bin:/usr/bin", "GREETING=hello"};
    config.config.cmd = {"sh", "-c",
                         "echo from-cmd; id -un; pwd; echo $GREETING; exit 7"};
    config.config.user = "app";
    config.config.working_dir = "/home/app";
    config.diff_ids = {layer->diff_id};
    images_.config = config.ToJson();
    image::oci::Manifest manifest;
    manifest.media_type = std::string(image::oci::kOciManifest);
    manifest.config.media_type = std::string(image::oci::kOciConfig);
    manifest.config.digest = Digest::Of(images_.config);
    manifest.config.size = images_.config.size();
    image::oci::Descriptor descriptor;
    descriptor.media_type = layer->media_type;
    descriptor.digest = layer->digest;
    descriptor.size = layer->size;
    manifest.layers.push_back(descriptor);
    images_.manifest = manifest.ToJson();
    images_.blobs = cache_.blobs();

    service_ = std::make_unique<cache::CacheService>(
        cache_.blobs(), cache_.actions(), &cache_, &open_);
    absl::StatusOr<cache::RunningServer> server =
        cache::StartGrpcServer("127.0.0.1:0", {service_.get(), &images_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    server_.server->Shutdown();
    RemoveAll(dir_).IgnoreError();
  }

  // Runs with stdout going to a file; returns the exit status and fills
  // `out`.
  absl::StatusOr<int> Run(const std::vector<std::string>& args,
                          std::string* out) {
    absl::StatusOr<RunOptions> options = ParseRunArgs(args);
    if (!options.ok()) return options.status();
    const std::string path = JoinPath(dir_, "stdout");
    int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(file, STDOUT_FILENO);
    close(file);
    absl::StatusOr<int> status =
        RunImage(*options, channel_, JoinPath(dir_, "root"), /*remote=*/true);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    *out = ReadFile(path).value_or("");
    return status;
  }

  std::string dir_;
  cache::MemoryCache cache_;
  OneImageService images_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<cache::CacheService> service_;
  cache::RunningServer server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(RunImageTest, RunsTheImagesCommandAsItsUserAndReturnsItsExitCode) {
  std::string out;
  absl::StatusOr<int> status = Run({"busybox:latest"}, &out);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 7);
  EXPECT_EQ(out, "from-cmd\napp\n/home/app\nhello\n");
}

TEST_F(RunImageTest, OverridesAndAFreshContainerEachTime) {
  std::string out;
  absl::StatusOr<int> status =
      Run({"--rm", "-e", "GREETING=bye", "-u", "root", "-w", "/tmp",
           "busybox:latest", "sh", "-c",
           "echo $GREETING; id -un; pwd; hostname | wc -c; touch /made"},
          &out);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 0);
  EXPECT_EQ(out, "bye\nroot\n/tmp\n13\n");
  status =
      Run({"-u", "root", "busybox:latest", "test", "!", "-e", "/made"}, &out);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 0);
  absl::StatusOr<std::vector<std::string>> work =
      ListDir(JoinPath(dir_, "root/run/remote/snapshots/work"));
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_THAT(*work, IsEmpty());
}

TEST_F(RunImageTest, EntrypointFlag) {
  std::string out;
  absl::StatusOr<int> status =
      Run({"--entrypoint", "/bin/echo", "busybox:latest", "a", "b"}, &out);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(out, "a b\n");
}

TEST_F(RunImageTest, UnknownImageAndMissingCommandFailClearly) {
  std::string out;
  absl::StatusOr<int> status = Run({"nosuch:1"}, &out);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.status().message(), HasSubstr("nosuch:1"));
  status = Run({"busybox:latest", "nosuchcmd"}, &out);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.status().message(), HasSubstr("nosuchcmd"));
}

}  // namespace
}  // namespace farm::client
