#include "scheduler/result_verifier.h"

#include "absl/strings/match.h"
#include "cache/memory_cache.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "nlohmann/json.hpp"

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

}  // namespace
}  // namespace farm::scheduler
