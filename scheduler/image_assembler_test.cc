#include "scheduler/image_assembler.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cache/memory_blob_store.h"
#include "gtest/gtest.h"
#include "image/oci/config.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {
namespace {

namespace oci = image::oci;

proto::LayerRef Layer(const std::string& name, absl::string_view media_type,
                      int64_t size = 100) {
  proto::LayerRef layer;
  layer.set_digest(Digest::Of("blob-" + name).ToString());
  layer.set_diff_id(Digest::Of("diff-" + name).ToString());
  layer.set_size(size);
  layer.set_media_type(std::string(media_type));
  return layer;
}

// A config as a worker reports it: one diff_id per layer, and history with
// an empty-layer step between them.
std::string ConfigFor(const std::vector<proto::LayerRef>& layers,
                      const nlohmann::json& labels = nlohmann::json::object()) {
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-02T03:04:05Z"},
      {"config", {{"Cmd", {"/app"}}, {"Labels", labels}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}},
      {"history", nlohmann::json::array()}};
  for (const proto::LayerRef& layer : layers) {
    config["rootfs"]["diff_ids"].push_back(layer.diff_id());
    config["history"].push_back({{"created_by", "RUN step"}});
    config["history"].push_back(
        {{"created_by", "ENV A=1"}, {"empty_layer", true}});
  }
  return config.dump();
}

proto::StageOutput Output(const std::vector<proto::LayerRef>& layers) {
  proto::StageOutput output;
  for (const proto::LayerRef& layer : layers) *output.add_layers() = layer;
  output.set_config(ConfigFor(layers));
  return output;
}

class ImageAssemblerTest : public ::testing::Test {
 protected:
  std::string Stored(const Digest& digest) {
    absl::StatusOr<std::string> blob = cache::GetBlob(blobs_, digest);
    EXPECT_TRUE(blob.ok()) << digest.ToString() << ": " << blob.status();
    return blob.ok() ? *blob : "";
  }

  cache::MemoryBlobStore blobs_;
};

TEST_F(ImageAssemblerTest, GzipAndPlainLayersMakeADockerImage) {
  proto::StageOutput output =
      Output({Layer("base", oci::kDockerLayerTarGzip),
              Layer("run", oci::kOciLayerTar, 7), Layer("old", "")});
  absl::StatusOr<AssembledImage> image = AssembleImage(output, blobs_);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->media_type, oci::kDockerManifest);
  // Without labels the config is the worker's, byte for byte.
  EXPECT_EQ(image->config_digest, Digest::Of(output.config()));
  EXPECT_EQ(Stored(image->config_digest), output.config());
  EXPECT_EQ(image->manifest_digest, Digest::Of(image->manifest_json));
  EXPECT_EQ(Stored(image->manifest_digest), image->manifest_json);

  absl::StatusOr<oci::Manifest> manifest =
      oci::Manifest::Parse(image->manifest_json);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->media_type, oci::kDockerManifest);
  EXPECT_EQ(manifest->config.media_type, oci::kDockerConfig);
  EXPECT_EQ(manifest->config.digest, image->config_digest);
  EXPECT_EQ(manifest->config.size,
            static_cast<int64_t>(output.config().size()));
  ASSERT_EQ(manifest->layers.size(), 3u);
  EXPECT_EQ(manifest->layers[0].media_type, oci::kDockerLayerTarGzip);
  EXPECT_EQ(manifest->layers[1].media_type, oci::kDockerLayerTar);
  // A layer without a type is gzip, as old workers sent them.
  EXPECT_EQ(manifest->layers[2].media_type, oci::kDockerLayerTarGzip);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(manifest->layers[i].digest.ToString(), output.layers(i).digest());
    EXPECT_EQ(manifest->layers[i].size, output.layers(i).size());
  }
}

TEST_F(ImageAssemblerTest, AZstdLayerMakesTheImageOci) {
  proto::StageOutput output =
      Output({Layer("base", oci::kOciLayerTarGzip),
              Layer("run", oci::kOciLayerTarZstd), Layer("old", "")});
  absl::StatusOr<AssembledImage> image = AssembleImage(output, blobs_);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->media_type, oci::kOciManifest);
  absl::StatusOr<oci::Manifest> manifest =
      oci::Manifest::Parse(Stored(image->manifest_digest));
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->config.media_type, oci::kOciConfig);
  ASSERT_EQ(manifest->layers.size(), 3u);
  EXPECT_EQ(manifest->layers[0].media_type, oci::kOciLayerTarGzip);
  EXPECT_EQ(manifest->layers[1].media_type, oci::kOciLayerTarZstd);
  EXPECT_EQ(manifest->layers[2].media_type, oci::kOciLayerTarGzip);
}

TEST_F(ImageAssemblerTest, LabelsGoOverTheDockerfilesAndKeepTheRest) {
  std::vector<proto::LayerRef> layers = {Layer("base", oci::kOciLayerTar)};
  proto::StageOutput output;
  *output.add_layers() = layers[0];
  output.set_config(
      ConfigFor(layers, {{"team", "dockerfile"}, {"kept", "yes"}}));
  absl::StatusOr<AssembledImage> image =
      AssembleImage(output, blobs_, {{"team", "cli"}, {"extra", "1"}});
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_NE(image->config_digest, Digest::Of(output.config()));

  absl::StatusOr<oci::ImageConfig> config =
      oci::ImageConfig::Parse(Stored(image->config_digest));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->config.labels,
            (std::map<std::string, std::string>{
                {"extra", "1"}, {"kept", "yes"}, {"team", "cli"}}));
  // The rest of the worker's config is as it was.
  ASSERT_EQ(config->diff_ids.size(), 1u);
  EXPECT_EQ(config->diff_ids[0].ToString(), layers[0].diff_id());
  ASSERT_EQ(config->history.size(), 2u);
  EXPECT_EQ(config->history[0].created_by, "RUN step");
  EXPECT_TRUE(config->history[1].empty_layer);
  ASSERT_TRUE(config->created.has_value());
  EXPECT_EQ(*config->created,
            absl::FromCivil(absl::CivilSecond(2024, 1, 2, 3, 4, 5),
                            absl::UTCTimeZone()));
  EXPECT_EQ(config->config.cmd, std::vector<std::string>{"/app"});
}

TEST_F(ImageAssemblerTest, AnImageWithoutLayersIsStillAnImage) {
  proto::StageOutput output = Output({});
  absl::StatusOr<AssembledImage> image = AssembleImage(output, blobs_);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->media_type, oci::kDockerManifest);
  absl::StatusOr<oci::Manifest> manifest =
      oci::Manifest::Parse(image->manifest_json);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_TRUE(manifest->layers.empty());
}

TEST_F(ImageAssemblerTest, AConfigThatMissesALayerIsRefused) {
  proto::StageOutput output = Output({Layer("base", oci::kOciLayerTar)});
  *output.add_layers() = Layer("unlisted", oci::kOciLayerTar);
  absl::StatusOr<AssembledImage> image = AssembleImage(output, blobs_);
  ASSERT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(image.status().message(),
            "the image config lists 1 layers but the build produced 2");
  // Nothing reaches the store.
  EXPECT_FALSE(blobs_.Contains(Digest::Of(output.config())));
}

TEST_F(ImageAssemblerTest, AMalformedConfigOrLayerDigestIsAnError) {
  proto::StageOutput output = Output({Layer("base", oci::kOciLayerTar)});
  proto::StageOutput bad_config = output;
  bad_config.set_config("{\"os\":\"linux\"}");
  EXPECT_EQ(AssembleImage(bad_config, blobs_).status().code(),
            absl::StatusCode::kInvalidArgument);
  proto::StageOutput bad_digest = output;
  bad_digest.mutable_layers(0)->set_digest("sha256:short");
  EXPECT_FALSE(AssembleImage(bad_digest, blobs_).ok());
}

TEST_F(ImageAssemblerTest, AnIndexOfDockerImagesIsAManifestList) {
  absl::StatusOr<AssembledImage> arm =
      AssembleImage(Output({Layer("arm", oci::kOciLayerTar)}), blobs_);
  absl::StatusOr<AssembledImage> amd =
      AssembleImage(Output({Layer("amd", oci::kOciLayerTar)}), blobs_);
  ASSERT_TRUE(arm.ok() && amd.ok());
  absl::StatusOr<AssembledIndex> index =
      AssembleIndex({{"linux/arm/v7", *arm}, {"linux/amd64", *amd}}, blobs_);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->digest, Digest::Of(index->json));
  EXPECT_EQ(Stored(index->digest), index->json);

  absl::StatusOr<oci::Index> parsed = oci::Index::Parse(index->json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->media_type, oci::kDockerManifestList);
  ASSERT_EQ(parsed->manifests.size(), 2u);
  // In the order given, each with its platform and manifest.
  const oci::Descriptor& first = parsed->manifests[0];
  EXPECT_EQ(first.digest, arm->manifest_digest);
  EXPECT_EQ(first.size, static_cast<int64_t>(arm->manifest_json.size()));
  EXPECT_EQ(first.media_type, oci::kDockerManifest);
  ASSERT_TRUE(first.platform.has_value());
  EXPECT_EQ(first.platform->os, "linux");
  EXPECT_EQ(first.platform->architecture, "arm");
  EXPECT_EQ(first.platform->variant, "v7");
  EXPECT_EQ(parsed->manifests[1].digest, amd->manifest_digest);
  EXPECT_EQ(parsed->manifests[1].platform->architecture, "amd64");
}

TEST_F(ImageAssemblerTest, AnIndexWithAnOciImageIsAnOciIndex) {
  absl::StatusOr<AssembledImage> docker =
      AssembleImage(Output({Layer("a", oci::kOciLayerTar)}), blobs_);
  absl::StatusOr<AssembledImage> zstd =
      AssembleImage(Output({Layer("b", oci::kOciLayerTarZstd)}), blobs_);
  ASSERT_TRUE(docker.ok() && zstd.ok());
  absl::StatusOr<AssembledIndex> index =
      AssembleIndex({{"linux/amd64", *docker}, {"linux/arm64", *zstd}}, blobs_);
  ASSERT_TRUE(index.ok()) << index.status();
  absl::StatusOr<oci::Index> parsed = oci::Index::Parse(index->json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->media_type, oci::kOciIndex);
  ASSERT_EQ(parsed->manifests.size(), 2u);
  EXPECT_EQ(parsed->manifests[0].media_type, oci::kDockerManifest);
  EXPECT_EQ(parsed->manifests[1].media_type, oci::kOciManifest);
}

TEST_F(ImageAssemblerTest, AnIndexRefusesAMalformedPlatform) {
  absl::StatusOr<AssembledImage> image =
      AssembleImage(Output({Layer("a", oci::kOciLayerTar)}), blobs_);
  ASSERT_TRUE(image.ok());
  absl::StatusOr<AssembledIndex> index =
      AssembleIndex({{"linux/arm64/v8/extra", *image}}, blobs_);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument)
      << index.status();
}

}  // namespace
}  // namespace farm::scheduler
