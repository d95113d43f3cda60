#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/archive/archive_reader.h"
#include "image/archive/archive_writer.h"
#include "image/archive/dir_blob_store.h"
#include "image/layer/layer_applier.h"
#include "image/layer/layer_writer.h"
#include "image/layer/tree_snapshot.h"
#include "image/oci/media_types.h"
#include "image/tar/tar_writer.h"

namespace farm::image::archive {
namespace {

using ::testing::HasSubstr;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    top_ = *MakeTempDir("archive");
    store_ = *DirBlobStore::Open(top_ + "/store");
    BuildImage();
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(top_).ok()); }

  void Put(const std::string& rel, const std::string& data, mode_t mode,
           uid_t uid = 0, gid_t gid = 0) {
    ASSERT_TRUE(WriteFile(rel, data).ok());
    ASSERT_EQ(chown(rel.c_str(), uid, gid), 0);
    ASSERT_EQ(chmod(rel.c_str(), mode), 0);
  }

  oci::Descriptor StoreLayer(const std::string& dir, compress::Compression c,
                             Digest* diff_id) {
    layer::LayerWriterOptions opts;
    opts.compression = c;
    absl::StatusOr<std::unique_ptr<BlobUpload>> up = store_->Begin(-1);
    EXPECT_TRUE(up.ok());
    absl::StatusOr<layer::LayerInfo> info =
        layer::WriteLayer(dir, up->get(), opts);
    EXPECT_TRUE(info.ok()) << info.status();
    EXPECT_TRUE((*up)->Commit(info->digest).ok());
    *diff_id = info->diff_id;
    oci::Descriptor d;
    d.media_type = info->media_type;
    d.digest = info->digest;
    d.size = info->size;
    return d;
  }

  // Two layers: files with modes and owners, a symlink, a hardlink; then a
  // whiteout and a new file.
  void BuildImage() {
    std::string u1 = top_ + "/u1", u2 = top_ + "/u2";
    ASSERT_TRUE(MakeDirs(u1 + "/bin").ok());
    ASSERT_TRUE(MakeDirs(u1 + "/etc").ok());
    ASSERT_TRUE(MakeDirs(u1 + "/home/user").ok());
    ASSERT_TRUE(MakeDirs(u2 + "/etc").ok());
    Put(u1 + "/bin/tool", "#!/bin/sh\necho tool\n", 04755);
    Put(u1 + "/etc/conf", "key=value\n", 0640, 1000, 1001);
    Put(u1 + "/etc/old", "old\n", 0644);
    ASSERT_EQ(chown((u1 + "/home/user").c_str(), 1000, 1000), 0);
    ASSERT_EQ(chmod((u1 + "/home/user").c_str(), 0700), 0);
    ASSERT_EQ(symlink("conf", (u1 + "/etc/link").c_str()), 0);
    ASSERT_EQ(link((u1 + "/etc/conf").c_str(), (u1 + "/etc/hard").c_str()), 0);
    ASSERT_EQ(mknod((u2 + "/etc/old").c_str(), S_IFCHR, makedev(0, 0)), 0);
    Put(u2 + "/etc/new", std::string(300000, 'n'), 0600, 7, 7);

    Digest d1, d2;
    oci::Manifest m;
    m.media_type = std::string(oci::kOciManifest);
    m.layers.push_back(StoreLayer(u1, compress::Compression::kGzip, &d1));
    m.layers.push_back(StoreLayer(u2, compress::Compression::kZstd, &d2));
    config_.architecture = "amd64";
    config_.os = "linux";
    config_.config.env = {"PATH=/bin"};
    config_.config.cmd = {"/bin/tool"};
    config_.diff_ids = {d1, d2};
    config_.history.resize(2);
    config_.history[0].created_by = "COPY u1 /";
    config_.history[1].created_by = "COPY u2 /";
    std::string cbytes = config_.ToJson();
    m.config.media_type = std::string(oci::kOciConfig);
    m.config.digest = *PutBlob(*store_, cbytes);
    m.config.size = cbytes.size();
    manifest_bytes_ = m.ToJson();
    image_.names = {"farm/app:1.0"};
    image_.manifest.media_type = m.media_type;
    image_.manifest.digest = *PutBlob(*store_, manifest_bytes_);
    image_.manifest.size = manifest_bytes_.size();
    manifest_ = m;

    // The same image with gzip layers only (skopeo 1.9 cannot put zstd
    // layers into a docker-archive).
    Digest same;
    m.layers[1] = StoreLayer(u2, compress::Compression::kGzip, &same);
    EXPECT_EQ(same, d2);
    std::string gbytes = m.ToJson();
    gzip_image_ = image_;
    gzip_image_.manifest.digest = *PutBlob(*store_, gbytes);
    gzip_image_.manifest.size = gbytes.size();
  }

  std::string Export(ArchiveFormat f, BlobSource& source,
                     const std::vector<ArchiveImage>& images) {
    std::string out;
    StringWriter w(&out);
    absl::Status s = ExportArchive(f, images, source, &w);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  absl::StatusOr<ImportResult> Import(const std::string& tar,
                                      DirBlobStore& sink) {
    StringReader in(tar);
    return ImportArchive(&in, sink);
  }

  // Applies an image's layers in order and describes the result.
  std::map<std::string, std::string> Flatten(const oci::Manifest& m,
                                             BlobSource& blobs,
                                             const std::string& name) {
    std::string root = top_ + "/flat-" + name;
    EXPECT_TRUE(MakeDirs(root).ok());
    for (const oci::Descriptor& l : m.layers) {
      absl::StatusOr<OpenedBlob> b = blobs.Open(l.digest);
      EXPECT_TRUE(b.ok()) << b.status();
      absl::StatusOr<layer::ApplyResult> r =
          layer::ApplyLayer(b->reader.get(), root);
      EXPECT_TRUE(r.ok()) << r.status();
    }
    std::map<std::string, std::string> snap = layer::SnapshotTree(root);
    snap.erase(".");
    return snap;
  }

  // Runs a command; returns its exit status and output.
  int Run(const std::string& cmd, std::string* output = nullptr) {
    std::string log = top_ + "/cmd.log";
    std::string full =
        absl::StrCat("cd ", top_, " && HOME=", top_, " TMPDIR=", top_, " ", cmd,
                     " > ", log, " 2>&1");
    int rc = std::system(full.c_str());
    std::string text = ReadFile(log).value_or("");
    if (output != nullptr) *output = text;
    if (rc != 0) ADD_FAILURE() << cmd << " failed:\n" << text;
    return rc;
  }

  std::string top_;
  std::unique_ptr<DirBlobStore> store_;
  oci::ImageConfig config_;
  oci::Manifest manifest_;
  std::string manifest_bytes_;
  ArchiveImage image_;
  ArchiveImage gzip_image_;
};

TEST_F(ArchiveTest, SkopeoAcceptsOurOciArchive) {
  std::string tar = Export(ArchiveFormat::kOci, *store_, {image_});
  EXPECT_EQ(tar, Export(ArchiveFormat::kOci, *store_, {image_}))
      << "export is deterministic";
  ASSERT_TRUE(WriteFile(top_ + "/a.tar", tar).ok());
  std::string raw;
  ASSERT_EQ(Run("skopeo inspect --raw oci-archive:a.tar", &raw), 0);
  EXPECT_EQ(raw, manifest_bytes_);
  std::string info;
  ASSERT_EQ(Run("skopeo inspect oci-archive:a.tar", &info), 0);
  EXPECT_THAT(info, HasSubstr(image_.manifest.digest.ToString()));
  ASSERT_EQ(Run("skopeo copy --insecure-policy oci-archive:a.tar dir:copy"), 0);
  EXPECT_EQ(*ReadFile(top_ + "/copy/manifest.json"), manifest_bytes_);
  EXPECT_TRUE(PathExists(top_ + "/copy/" + manifest_.layers[1].digest.hex()));
}

TEST_F(ArchiveTest, SeveralNamesOfOneImageComeBackTogether) {
  ArchiveImage two = image_;
  two.names = {"farm/app:1.0", "farm/app:latest"};
  for (ArchiveFormat f : {ArchiveFormat::kDocker, ArchiveFormat::kOci}) {
    auto sink = *DirBlobStore::Open(top_ + "/sink");
    absl::StatusOr<ImportResult> r = Import(Export(f, *store_, {two}), *sink);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_EQ(r->images[0].names, two.names);
  }
}

TEST_F(ArchiveTest, SkopeoAcceptsOurDockerArchive) {
  std::string tar = Export(ArchiveFormat::kDocker, *store_, {image_});
  ASSERT_TRUE(WriteFile(top_ + "/b.tar", tar).ok());
  std::string info;
  ASSERT_EQ(Run("skopeo inspect docker-archive:b.tar", &info), 0);
  for (const Digest& d : config_.diff_ids) {
    EXPECT_THAT(info, HasSubstr(d.ToString()));
  }
  EXPECT_THAT(info, HasSubstr("\"Architecture\": \"amd64\""));
  ASSERT_EQ(Run("skopeo copy --insecure-policy docker-archive:b.tar dir:copy"),
            0);
  EXPECT_TRUE(PathExists(top_ + "/copy/" + config_.diff_ids[0].hex()));
}

TEST_F(ArchiveTest, LoadThenSaveKeepsFilesAndConfig) {
  std::map<std::string, std::string> want = Flatten(manifest_, *store_, "orig");
  ASSERT_TRUE(want.count("etc/hard"));
  ASSERT_FALSE(want.count("etc/old")) << "the whiteout applied";
  for (ArchiveFormat f : {ArchiveFormat::kDocker, ArchiveFormat::kOci}) {
    std::string tar = Export(f, *store_, {image_});
    auto store2 = *DirBlobStore::Open(top_ + "/store2");
    absl::StatusOr<ImportResult> r = Import(tar, *store2);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->format, f);
    ASSERT_EQ(r->images.size(), 1u);
    const ImportedImage& img = r->images[0];
    EXPECT_THAT(img.names, ::testing::ElementsAre("farm/app:1.0"));
    EXPECT_EQ(img.config.ToJson(), config_.ToJson());
    EXPECT_EQ(img.parsed_manifest.config.digest, manifest_.config.digest);
    EXPECT_EQ(layer::DiffSnapshots(want, Flatten(img.parsed_manifest, *store2,
                                                 absl::StrCat("f", int(f)))),
              "");
    // Saving the loaded image again gives the same archive.
    ArchiveImage again{img.names, img.manifest};
    EXPECT_EQ(Export(f, *store2, {again}), tar);
    ASSERT_TRUE(RemoveAll(top_ + "/store2").ok());
  }
}

TEST_F(ArchiveTest, ImportsArchivesWrittenBySkopeo) {
  std::map<std::string, std::string> want = Flatten(manifest_, *store_, "orig");
  ASSERT_TRUE(WriteFile(top_ + "/a.tar",
                        Export(ArchiveFormat::kOci, *store_, {gzip_image_}))
                  .ok());
  ASSERT_TRUE(WriteFile(top_ + "/b.tar",
                        Export(ArchiveFormat::kDocker, *store_, {image_}))
                  .ok());
  ASSERT_EQ(Run("skopeo copy --insecure-policy oci-archive:a.tar "
                "docker-archive:c.tar:farm/app:2.0"),
            0);
  ASSERT_EQ(Run("skopeo copy --insecure-policy docker-archive:b.tar "
                "oci-archive:d.tar:3.0"),
            0);
  int n = 0;
  for (const char* file : {"c.tar", "d.tar"}) {
    auto sink = *DirBlobStore::Open(top_ + "/s" + file);
    absl::StatusOr<ImportResult> r =
        Import(*ReadFile(top_ + "/" + file), *sink);
    ASSERT_TRUE(r.ok()) << file << ": " << r.status();
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_FALSE(r->images[0].names.empty());
    EXPECT_EQ(r->images[0].config.diff_ids, config_.diff_ids);
    EXPECT_EQ(
        layer::DiffSnapshots(want, Flatten(r->images[0].parsed_manifest, *sink,
                                           absl::StrCat("s", n++))),
        "")
        << file;
  }
}

std::string HandTar(
    const std::vector<std::pair<std::string, std::string>>& files,
    const std::vector<std::pair<std::string, std::string>>& symlinks = {}) {
  std::string out;
  StringWriter w(&out);
  tar::TarWriter t(&w);
  for (const auto& [name, data] : files) {
    tar::TarEntry e;
    e.name = name;
    e.size = data.size();
    EXPECT_TRUE(t.WriteHeader(e).ok());
    EXPECT_TRUE(t.WriteData(data).ok());
  }
  for (const auto& [name, target] : symlinks) {
    tar::TarEntry e;
    e.name = name;
    e.type = tar::TarType::kSymlink;
    e.linkname = target;
    EXPECT_TRUE(t.WriteHeader(e).ok());
  }
  EXPECT_TRUE(t.Finish().ok());
  return out;
}

TEST_F(ArchiveTest, ImportsLegacyDockerLayoutWithSymlinkedLayers) {
  // A layer tar, used twice: the second time through a symlink, as old
  // `docker save` wrote shared layers.
  std::string layer = HandTar({{"hello", "world"}});
  Digest diff = Digest::Of(layer);
  oci::ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.diff_ids = {diff, diff};
  std::string cfg = c.ToJson();
  std::string cfg_name = Digest::Of(cfg).hex() + ".json";
  std::string manifest = R"([{"Config":")" + cfg_name +
                         R"(","RepoTags":["old:v1"],"Layers":["aaa/layer.tar",)"
                         R"("bbb/layer.tar"]}])";
  std::string tar = HandTar({{cfg_name, cfg},
                             {"aaa/layer.tar", layer},
                             {"aaa/VERSION", "1.0"},
                             {"manifest.json", manifest},
                             {"repositories", "{}"}},
                            {{"bbb/layer.tar", "../aaa/layer.tar"}});
  absl::StatusOr<ImportResult> r = Import(tar, *store_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_THAT(r->images[0].names, ::testing::ElementsAre("old:v1"));
  ASSERT_EQ(r->images[0].parsed_manifest.layers.size(), 2u);
  EXPECT_EQ(r->images[0].parsed_manifest.layers[1].digest, diff);
  EXPECT_EQ(r->images[0].parsed_manifest.layers[1].media_type,
            oci::kOciLayerTar);
  EXPECT_TRUE(store_->Open(diff).ok());
  EXPECT_TRUE(store_->Open(r->images[0].manifest.digest).ok());
}

TEST_F(ArchiveTest, WrongDiffIdIsDataLoss) {
  std::string layer = HandTar({{"hello", "world"}});
  oci::ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.diff_ids = {Digest::Of("something else")};
  std::string cfg = c.ToJson();
  std::string tar = HandTar(
      {{"c.json", cfg},
       {"l.tar", layer},
       {"manifest.json", R"([{"Config":"c.json","Layers":["l.tar"]}])"}});
  absl::StatusOr<ImportResult> r = Import(tar, *store_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("layer 0 (archive member \"l.tar\") has diffID"));
}

TEST_F(ArchiveTest, CorruptBlobIsDataLossNamingTheMember) {
  std::string tar = Export(ArchiveFormat::kOci, *store_, {image_});
  std::string name = "blobs/sha256/" + manifest_.config.digest.hex();
  size_t header = tar.find(name);
  ASSERT_NE(header, std::string::npos);
  tar[header + 512 + 3] ^= 0x20;  // first bytes of the config data
  auto sink = *DirBlobStore::Open(top_ + "/sink");
  absl::StatusOr<ImportResult> r = Import(tar, *sink);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("archive member \"" + name + "\" hashes to"));
}

TEST_F(ArchiveTest, CorruptLargeLayerIsDataLossAndNotStored) {
  std::string tar = Export(ArchiveFormat::kDocker, *store_, {image_});
  std::string name = "blobs/sha256/" + config_.diff_ids[1].hex();
  size_t header = tar.find(name);
  ASSERT_NE(header, std::string::npos);
  tar[header + 512 + 200000] ^= 1;
  auto sink = *DirBlobStore::Open(top_ + "/sink");
  absl::StatusOr<ImportResult> r = Import(tar, *sink);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr(name));
  EXPECT_EQ(sink->Open(config_.diff_ids[1]).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ArchiveTest, MissingBlobIsNotFound) {
  oci::Index index;
  oci::Descriptor d = image_.manifest;
  index.manifests = {d};
  std::string tar =
      HandTar({{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
               {"index.json", index.ToJson()}});
  absl::StatusOr<ImportResult> r = Import(tar, *store_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("manifest " + d.digest.ToString() + " is not in the archive"));
  r = Import(HandTar({{"random", "file"}}), *store_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("not an image archive"));
}

TEST_F(ArchiveTest, NestedIndexRoundTrips) {
  oci::Index nested;
  nested.media_type = std::string(oci::kOciIndex);
  oci::Descriptor m = image_.manifest;
  m.platform = oci::Platform{"amd64", "linux", "", {}, ""};
  nested.manifests = {m};
  std::string nbytes = nested.ToJson();
  ArchiveImage multi;
  multi.names = {"registry.local:5000/multi:9"};
  multi.manifest.media_type = std::string(oci::kOciIndex);
  multi.manifest.digest = *PutBlob(*store_, nbytes);
  multi.manifest.size = nbytes.size();
  std::string tar = Export(ArchiveFormat::kOci, *store_, {multi});
  ASSERT_TRUE(WriteFile(top_ + "/n.tar", tar).ok());
  ASSERT_EQ(Run("skopeo inspect --raw oci-archive:n.tar"), 0);
  auto sink = *DirBlobStore::Open(top_ + "/sink");
  absl::StatusOr<ImportResult> r = Import(tar, *sink);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_THAT(r->images[0].names,
              ::testing::ElementsAre("registry.local:5000/multi:9"));
  ASSERT_TRUE(r->images[0].index.has_value());
  EXPECT_EQ(r->images[0].index->digest, multi.manifest.digest);
  EXPECT_EQ(r->images[0].manifest.digest, image_.manifest.digest);
  EXPECT_EQ(SplitRepoTag("registry.local:5000/multi:9").tag, "9");
  EXPECT_EQ(SplitRepoTag("registry.local:5000/multi").tag, "latest");

  absl::Status s =
      ExportArchive(ArchiveFormat::kDocker, {multi}, *store_, nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("is an index"));
}

}  // namespace
}  // namespace farm::image::archive
