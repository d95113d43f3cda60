#include "scheduler/result_verifier.h"

#include <vector>

#include "absl/strings/match.h"
#include "cache/memory_cache.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "nlohmann/json.hpp"
#include "scheduler/layer_upload_watch.h"

namespace farm::scheduler {
namespace {

class ResultVerifierTest : public ::testing::Test {
 protected:
  // A gzip layer of `tar` stored in the CAS, described truthfully.
  proto::LayerRef Layer(const std::string& tar) {
    std::string gz = Gzip(tar);
    EXPECT_TRUE(cache::PutBlob(*cache_.blobs(), gz).ok());
    proto::LayerRef layer;
    layer.set_digest(Digest::Of(gz).ToString());
    layer.set_diff_id(Digest::Of(tar).ToString());
    layer.set_size(gz.size());
    return layer;
  }
  static std::string Gzip(const std::string& data) {
    std::string out;
    StringWriter sink(&out);
    auto writer = image::compress::NewCompressor(
        image::compress::Compression::kGzip, &sink, {});
    EXPECT_TRUE(writer->Write(data).ok());
    EXPECT_TRUE(writer->Close().ok());
    return out;
  }
  static proto::StageOutput Output(std::vector<proto::LayerRef> layers) {
    proto::StageOutput out;
    nlohmann::json diff_ids = nlohmann::json::array();
    for (const proto::LayerRef& layer : layers) {
      *out.add_layers() = layer;
      diff_ids.push_back(layer.diff_id());
    }
    out.set_config(
        nlohmann::json{{"architecture", "amd64"},
                       {"os", "linux"},
                       {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
            .dump());
    return out;
  }

  cache::MemoryCache cache_;
  ResultVerifier verifier_{cache_.blobs()};
};

TEST_F(ResultVerifierTest, TruthfulResultPasses) {
  proto::LayerRef base = Layer("base tar");
  proto::LayerRef made = Layer("new tar");
  EXPECT_TRUE(verifier_.Verify(Output({base, made}), Output({base})).ok());
}

TEST_F(ResultVerifierTest, LiesAreRefusedNamingWhat) {
  proto::LayerRef base = Layer("base tar");
  proto::LayerRef made = Layer("new tar");
  struct Case {
    const char* name;
    std::function<void(proto::StageOutput&)> lie;
    const char* says;
  } cases[] = {
      {"size", [](proto::StageOutput& o) { o.mutable_layers(1)->set_size(1); },
       "bytes"},
      {"diff_id",
       [](proto::StageOutput& o) {
         o.mutable_layers(1)->set_diff_id(Digest::Of("other").ToString());
       },
       "config"},
      {"missing blob",
       [](proto::StageOutput& o) {
         o.mutable_layers(1)->set_digest(Digest::Of("absent").ToString());
       },
       ""},
      {"changed base",
       [&](proto::StageOutput& o) {
         o = Output({made, made});
       },
       "changed base layer 1"},
  };
  for (const Case& c : cases) {
    proto::StageOutput output = Output({base, made});
    c.lie(output);
    absl::Status s = verifier_.Verify(output, Output({base}));
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_TRUE(absl::StrContains(s.message(), c.says)) << c.name << ": " << s;
  }
  // A diff_id that matches the config but not the content.
  proto::LayerRef forged = made;
  forged.set_diff_id(Digest::Of("something else").ToString());
  absl::Status s = verifier_.Verify(Output({base, forged}), Output({base}));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(s.message(), "but its content is")) << s;
}

// Writes `data` through `store` in two pieces (the first of one byte, so
// the watch must wait for the magic bytes); returns Commit's status.
absl::Status PutInPieces(cache::BlobStore& store, const Digest& digest,
                         const std::string& data) {
  absl::StatusOr<std::unique_ptr<cache::BlobWriter>> writer = store.Put(digest);
  if (!writer.ok()) return writer.status();
  absl::Status status = (*writer)->Write(data.substr(0, 1));
  if (status.ok()) status = (*writer)->Write(data.substr(1));
  return status.ok() ? (*writer)->Commit() : status;
}

TEST_F(ResultVerifierTest, UploadWatchReportsCommittedLayersThatInflate) {
  struct Seen {
    Digest digest, diff_id;
    uint64_t size;
  };
  std::vector<Seen> seen;
  LayerUploadWatch watch(
      cache_.blobs(),
      [&seen](const Digest& digest, const Digest& diff_id, uint64_t size) {
        seen.push_back({digest, diff_id, size});
      });
  const std::string tar(3 << 20, 'x');
  const std::string gz = Gzip(tar);
  ASSERT_TRUE(PutInPieces(watch, Digest::Of(gz), gz).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].digest, Digest::Of(gz));
  EXPECT_EQ(seen[0].diff_id, Digest::Of(tar));
  EXPECT_EQ(seen[0].size, gz.size());

  // Stored as ever, but not reported: a blob that is not compressed, one
  // that starts like gzip and does not inflate, one whose digest is wrong.
  const std::string plain = "just a context file";
  EXPECT_TRUE(PutInPieces(watch, Digest::Of(plain), plain).ok());
  const std::string broken = gz.substr(0, 10) + "not deflate at all";
  EXPECT_TRUE(PutInPieces(watch, Digest::Of(broken), broken).ok());
  EXPECT_FALSE(PutInPieces(watch, Digest::Of("other"), Gzip("t")).ok());
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_TRUE(cache_.blobs()->Stat(Digest::Of(broken)).ok());
}

TEST_F(ResultVerifierTest, UploadWatchReportsAPlainTarAsItsOwnDiffId) {
  std::vector<std::pair<Digest, Digest>> seen;
  LayerUploadWatch watch(
      cache_.blobs(),
      [&seen](const Digest& digest, const Digest& diff_id, uint64_t) {
        seen.push_back({digest, diff_id});
      });
  // A tar's first header carries "ustar" at byte 257 (the build form).
  std::string tar(3 << 20, 'y');
  tar.replace(0, 512, std::string(512, '\0'));
  tar.replace(257, 6, std::string("ustar\0", 6));
  ASSERT_TRUE(PutInPieces(watch, Digest::Of(tar), tar).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, Digest::Of(tar));
  EXPECT_EQ(seen[0].second, Digest::Of(tar));
  // A plain tar under the wrong digest is refused by the store, unreported.
  std::string other = tar;
  other.back() = 'z';
  EXPECT_FALSE(PutInPieces(watch, Digest::Of("other"), other).ok());
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(ResultVerifierTest, LayerSeenOnUploadIsNotReadBack) {
  const std::string tar = "uploaded tar";
  const std::string gz = Gzip(tar);
  verifier_.LayerSeen(Digest::Of(gz), Digest::Of(tar), gz.size());
  proto::LayerRef made;
  made.set_digest(Digest::Of(gz).ToString());
  made.set_diff_id(Digest::Of(tar).ToString());
  made.set_size(gz.size());
  // The blob is not in this CAS at all: only the record vouches for it.
  EXPECT_TRUE(verifier_.Verify(Output({made}), Output({})).ok());
  // Any other claim about the same blob is read, and refused.
  made.set_diff_id(Digest::Of("another tar").ToString());
  EXPECT_FALSE(verifier_.Verify(Output({made}), Output({})).ok());
  made.set_diff_id(Digest::Of(tar).ToString());
  made.set_size(gz.size() + 1);
  EXPECT_FALSE(verifier_.Verify(Output({made}), Output({})).ok());
}

}  // namespace
}  // namespace farm::scheduler
