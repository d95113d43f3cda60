#include "scheduler/distribution_forms.h"

#include <string>

#include "cache/memory_cache.h"
#include "common/digest.h"
#include "common/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/zlib_inflate_testing.h"
#include "image/oci/media_types.h"

namespace farm::scheduler {
namespace {

namespace oci = image::oci;

std::string BlobOf(cache::BlobStore& blobs, const Digest& digest) {
  auto reader = blobs.Get(digest);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return "";
  auto data = ReadAll(**reader, 1 << 26);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

class DistributionFormsTest : public ::testing::Test {
 protected:
  DistributionFormsTest()
      : forms_(cache_.blobs(), cache_.actions(),
               ::testing::TempDir() + "/distribution-forms") {}

  // Stores `data` and returns a layer descriptor of `type` for it.
  oci::Descriptor Layer(const std::string& data, absl::string_view type) {
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), data).ok());
    oci::Descriptor d;
    d.media_type = std::string(type);
    d.digest = Digest::Of(data);
    d.size = static_cast<int64_t>(data.size());
    return d;
  }

  oci::Manifest ManifestOf(std::vector<oci::Descriptor> layers,
                           absl::string_view type) {
    oci::Manifest m;
    m.media_type = std::string(type);
    m.config = Layer("{}", oci::kDockerConfig);
    m.config.media_type = std::string(oci::kDockerConfig);
    m.layers = std::move(layers);
    return m;
  }

  cache::MemoryCache cache_;
  DistributionForms forms_;
};

// Bytes that compress well, so the gzip form differs from the plain one.
std::string PlainTar() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "line " + std::to_string(i % 97) + "\n";
  return s;
}

TEST_F(DistributionFormsTest, PlainLayersBecomeGzipAndTheRestStays) {
  const std::string tar = PlainTar();
  oci::Descriptor base =
      Layer("\x1f\x8b pretend gzip", oci::kDockerLayerTarGzip);
  oci::Descriptor built = Layer(tar, oci::kDockerLayerTar);
  oci::Manifest manifest = ManifestOf({base, built}, oci::kDockerManifest);
  auto form = forms_.Of(manifest, manifest.ToJson());
  ASSERT_TRUE(form.ok()) << form.status();

  EXPECT_EQ(form->media_type, oci::kDockerManifest);
  EXPECT_EQ(form->digest, Digest::Of(form->manifest_json));
  EXPECT_EQ(BlobOf(*cache_.blobs(), form->digest), form->manifest_json);
  auto pushed = oci::Manifest::Parse(form->manifest_json);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  ASSERT_EQ(pushed->layers.size(), 2u);
  EXPECT_EQ(pushed->layers[0], base);
  const oci::Descriptor& gz = pushed->layers[1];
  EXPECT_EQ(gz.media_type, oci::kDockerLayerTarGzip);
  EXPECT_NE(gz.digest, built.digest);
  EXPECT_LT(gz.size, built.size);
  std::string gzip = BlobOf(*cache_.blobs(), gz.digest);
  EXPECT_EQ(static_cast<int64_t>(gzip.size()), gz.size);
  auto inflated = image::compress::ZlibInflate(gzip, 31);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, tar);
  EXPECT_EQ(pushed->config, manifest.config);

  auto remembered =
      cache_.actions()->Get(DistributionForms::GzipFormKey(built.digest));
  ASSERT_TRUE(remembered.ok()) << remembered.status();
  EXPECT_EQ(remembered->layer().digest(), gz.digest.ToString());
  EXPECT_EQ(remembered->layer().diff_id(), built.digest.ToString());
}

TEST_F(DistributionFormsTest, TheSecondPushReusesTheRememberedGzipBlob) {
  const std::string tar = PlainTar();
  oci::Manifest manifest =
      ManifestOf({Layer(tar, oci::kOciLayerTar)}, oci::kOciManifest);
  auto first = forms_.Of(manifest, manifest.ToJson());
  ASSERT_TRUE(first.ok()) << first.status();
  // Without the plain blob, only the remembered gzip form can answer.
  ASSERT_TRUE(cache_.Delete({Digest::Of(tar)}).ok());
  auto second = forms_.Of(manifest, manifest.ToJson());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->manifest_json, first->manifest_json);
  auto pushed = oci::Manifest::Parse(second->manifest_json);
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->layers[0].media_type, oci::kOciLayerTarGzip);
}

TEST_F(DistributionFormsTest, TheGzipFormIsTheSameOnEveryFarm) {
  const std::string tar = PlainTar();
  cache::MemoryCache other;
  DistributionForms other_forms(other.blobs(), other.actions(),
                                ::testing::TempDir() + "/other-forms");
  oci::Manifest manifest =
      ManifestOf({Layer(tar, oci::kDockerLayerTar)}, oci::kDockerManifest);
  ASSERT_TRUE(cache::PutBlob(*other.blobs(), tar).ok());
  auto here = forms_.Of(manifest, manifest.ToJson());
  auto there = other_forms.Of(manifest, manifest.ToJson());
  ASSERT_TRUE(here.ok() && there.ok());
  EXPECT_EQ(here->digest, there->digest);
}

TEST_F(DistributionFormsTest, AManifestWithoutPlainLayersIsReturnedAsItIs) {
  oci::Manifest manifest = ManifestOf(
      {Layer("\x1f\x8b gzip", oci::kOciLayerTarGzip)}, oci::kOciManifest);
  const std::string json = manifest.ToJson() + " ";  // its own bytes kept
  auto form = forms_.Of(manifest, json);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->manifest_json, json);
  EXPECT_EQ(form->digest, Digest::Of(json));
}

TEST_F(DistributionFormsTest, AnOciLayoutGetsOciMediaTypesThroughout) {
  oci::Manifest manifest =
      ManifestOf({Layer("\x1f\x8b gzip", oci::kDockerLayerTarGzip),
                  Layer(PlainTar(), oci::kDockerLayerTar)},
                 oci::kDockerManifest);
  auto form = forms_.Of(manifest, manifest.ToJson(), Destination::kOciLayout);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->media_type, oci::kOciManifest);
  auto saved = oci::Manifest::Parse(form->manifest_json);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->media_type, oci::kOciManifest);
  EXPECT_EQ(saved->config.media_type, oci::kOciConfig);
  EXPECT_EQ(saved->config.digest, manifest.config.digest);
  for (const oci::Descriptor& layer : saved->layers) {
    EXPECT_EQ(layer.media_type, oci::kOciLayerTarGzip);
  }
  EXPECT_EQ(saved->layers[0].digest, manifest.layers[0].digest);
}

TEST_F(DistributionFormsTest, AMissingPlainLayerIsNotFound) {
  oci::Descriptor gone;
  gone.media_type = std::string(oci::kDockerLayerTar);
  gone.digest = Digest::Of("never stored");
  gone.size = 12;
  oci::Manifest manifest = ManifestOf({gone}, oci::kDockerManifest);
  auto form = forms_.Of(manifest, manifest.ToJson());
  EXPECT_TRUE(absl::IsNotFound(form.status())) << form.status();
}

// A two-platform image as `farm build --platform linux/amd64,linux/arm64`
// stores it: Docker schema 2 manifests of plain layers under a Docker
// manifest list, every blob in the CAS.
class IndexFormsTest : public DistributionFormsTest {
 protected:
  // A manifest of `type` with one plain layer holding `content`, stored.
  oci::Descriptor Child(const std::string& content, absl::string_view type,
                        const std::string& arch) {
    oci::Manifest m =
        ManifestOf({Layer(PlainTar() + content, type == oci::kDockerManifest
                                                    ? oci::kDockerLayerTar
                                                    : oci::kOciLayerTar)},
                   type);
    if (type == oci::kOciManifest) {
      m.config.media_type = std::string(oci::kOciConfig);
    }
    oci::Descriptor d = Layer(m.ToJson(), type);
    d.platform = oci::Platform{};
    d.platform->os = "linux";
    d.platform->architecture = arch;
    return d;
  }

  std::string IndexOf(std::vector<oci::Descriptor> children,
                      absl::string_view type) {
    oci::Index index;
    index.media_type = std::string(type);
    index.manifests = std::move(children);
    std::string json = index.ToJson();
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), json).ok());
    return json;
  }

  std::string TwoPlatformIndex() {
    return IndexOf({Child("amd", oci::kDockerManifest, "amd64"),
                    Child("arm", oci::kDockerManifest, "arm64")},
                   oci::kDockerManifestList);
  }

  // The index stored under `form`, each child checked against the one it
  // replaces: the same platform, in the same place, its Of() form.
  oci::Index CheckIndexForm(const DistributionForm& form,
                            const std::string& original, Destination to) {
    EXPECT_EQ(form.digest, Digest::Of(form.manifest_json));
    EXPECT_EQ(BlobOf(*cache_.blobs(), form.digest), form.manifest_json);
    auto index = oci::Index::Parse(form.manifest_json);
    auto before = oci::Index::Parse(original);
    EXPECT_TRUE(index.ok() && before.ok());
    if (!index.ok() || !before.ok()) return {};
    EXPECT_EQ(index->media_type, form.media_type);
    EXPECT_EQ(index->manifests.size(), before->manifests.size());
    for (size_t i = 0; i < index->manifests.size(); ++i) {
      const oci::Descriptor& now = index->manifests[i];
      const oci::Descriptor& was = before->manifests[i];
      EXPECT_EQ(now.platform, was.platform);
      std::string json = BlobOf(*cache_.blobs(), now.digest);
      EXPECT_EQ(static_cast<int64_t>(json.size()), now.size);
      auto m = oci::Manifest::Parse(BlobOf(*cache_.blobs(), was.digest));
      EXPECT_TRUE(m.ok()) << m.status();
      if (!m.ok()) continue;
      auto expected = forms_.Of(*m, BlobOf(*cache_.blobs(), was.digest), to);
      EXPECT_TRUE(expected.ok()) << expected.status();
      if (!expected.ok()) continue;
      EXPECT_EQ(json, expected->manifest_json);
      EXPECT_EQ(now.media_type, expected->media_type);
    }
    return *index;
  }
};

TEST_F(IndexFormsTest, ARegistryGetsAManifestListOfGzipDockerManifests) {
  const std::string original = TwoPlatformIndex();
  auto form = forms_.OfIndex(original);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->media_type, oci::kDockerManifestList);
  oci::Index index = CheckIndexForm(*form, original, Destination::kRegistry);
  ASSERT_EQ(index.manifests.size(), 2u);
  EXPECT_EQ(index.manifests[0].platform->architecture, "amd64");
  EXPECT_EQ(index.manifests[1].platform->architecture, "arm64");
  for (const oci::Descriptor& child : index.manifests) {
    EXPECT_EQ(child.media_type, oci::kDockerManifest);
    auto m = oci::Manifest::Parse(BlobOf(*cache_.blobs(), child.digest));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->layers[0].media_type, oci::kDockerLayerTarGzip);
    // The gzip layer is in the CAS for the push to read.
    EXPECT_TRUE(cache_.blobs()->Stat(m->layers[0].digest).ok());
  }
}

TEST_F(IndexFormsTest, AnOciLayoutGetsAnOciIndexOfOciManifests) {
  const std::string original = TwoPlatformIndex();
  auto form = forms_.OfIndex(original, Destination::kOciLayout);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->media_type, oci::kOciIndex);
  oci::Index index = CheckIndexForm(*form, original, Destination::kOciLayout);
  for (const oci::Descriptor& child : index.manifests) {
    EXPECT_EQ(child.media_type, oci::kOciManifest);
    auto m = oci::Manifest::Parse(BlobOf(*cache_.blobs(), child.digest));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->config.media_type, oci::kOciConfig);
    EXPECT_EQ(m->layers[0].media_type, oci::kOciLayerTarGzip);
  }
}

TEST_F(IndexFormsTest, OciChildrenMakeAnOciIndexForARegistry) {
  const std::string original =
      IndexOf({Child("amd", oci::kDockerManifest, "amd64"),
               Child("arm", oci::kOciManifest, "arm64")},
              oci::kOciIndex);
  auto form = forms_.OfIndex(original);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->media_type, oci::kOciIndex);
  oci::Index index = CheckIndexForm(*form, original, Destination::kRegistry);
  ASSERT_EQ(index.manifests.size(), 2u);
  EXPECT_EQ(index.manifests[0].media_type, oci::kDockerManifest);
  EXPECT_EQ(index.manifests[1].media_type, oci::kOciManifest);
}

TEST_F(IndexFormsTest, TheSameIndexGivesTheSameBytesOnEveryRunAndFarm) {
  const std::string original = TwoPlatformIndex();
  auto first = forms_.OfIndex(original);
  auto again = forms_.OfIndex(original);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->manifest_json, first->manifest_json);

  cache::MemoryCache other;
  DistributionForms other_forms(other.blobs(), other.actions(),
                                ::testing::TempDir() + "/other-index-forms");
  // Copy every blob the index needs, as another farm that built the same
  // image would hold them.
  auto index = oci::Index::Parse(original);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(cache::PutBlob(*other.blobs(), original).ok());
  for (const oci::Descriptor& child : index->manifests) {
    std::string json = BlobOf(*cache_.blobs(), child.digest);
    ASSERT_TRUE(cache::PutBlob(*other.blobs(), json).ok());
    auto m = oci::Manifest::Parse(json);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(cache::PutBlob(*other.blobs(),
                               BlobOf(*cache_.blobs(), m->config.digest))
                    .ok());
    for (const oci::Descriptor& layer : m->layers) {
      ASSERT_TRUE(
          cache::PutBlob(*other.blobs(), BlobOf(*cache_.blobs(), layer.digest))
              .ok());
    }
  }
  auto there = other_forms.OfIndex(original);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(there->manifest_json, first->manifest_json);
}

TEST_F(IndexFormsTest, AnIndexWithNothingToChangeIsReturnedAsItIs) {
  oci::Manifest m = ManifestOf({Layer("\x1f\x8b gzip", oci::kOciLayerTarGzip)},
                               oci::kOciManifest);
  m.config.media_type = std::string(oci::kOciConfig);
  oci::Descriptor child = Layer(m.ToJson(), oci::kOciManifest);
  child.platform = oci::Platform{};
  child.platform->os = "linux";
  child.platform->architecture = "amd64";
  const std::string json = IndexOf({child}, oci::kOciIndex) + "\n";
  auto form = forms_.OfIndex(json, Destination::kOciLayout);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->manifest_json, json);
  EXPECT_EQ(form->media_type, oci::kOciIndex);
}

TEST_F(IndexFormsTest, AMissingChildManifestIsNotFoundAndNamed) {
  oci::Descriptor gone;
  gone.media_type = std::string(oci::kDockerManifest);
  gone.digest = Digest::Of("never stored");
  gone.size = 12;
  auto form = forms_.OfIndex(IndexOf({gone}, oci::kDockerManifestList));
  EXPECT_TRUE(absl::IsNotFound(form.status())) << form.status();
  EXPECT_THAT(std::string(form.status().message()),
              ::testing::HasSubstr(gone.digest.ToString()));
}

TEST_F(IndexFormsTest, ANestedIndexIsRefused) {
  oci::Descriptor nested = Layer(TwoPlatformIndex(), oci::kDockerManifestList);
  auto form = forms_.OfIndex(IndexOf({nested}, oci::kOciIndex));
  EXPECT_TRUE(absl::IsInvalidArgument(form.status())) << form.status();
  EXPECT_THAT(std::string(form.status().message()),
              ::testing::HasSubstr("only image manifests"));
}

}  // namespace
}  // namespace farm::scheduler
