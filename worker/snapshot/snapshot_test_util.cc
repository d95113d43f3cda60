#include "worker/snapshot/snapshot_test_util.h"

#include "absl/time/clock.h"
#include "common/digest.h"
#include "common/io.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "image/oci/media_types.h"
#include "image/tar/tar_writer.h"

namespace farm::snapshot::testing {

using image::tar::TarEntry;
using image::tar::TarType;

Member File(std::string name, std::string data, uint32_t mode) {
  return {std::move(name), TarType::kRegular, std::move(data), mode};
}
Member Dir(std::string name, uint32_t mode) {
  return {std::move(name), TarType::kDirectory, "", mode};
}
Member Symlink(std::string name, std::string target) {
  return {std::move(name), TarType::kSymlink, std::move(target), 0777};
}
Member Marker(std::string name) {
  return {std::move(name), TarType::kRegular, "", 0};
}

std::string MakeTar(const std::vector<Member>& members) {
  std::string out;
  StringWriter sink(&out);
  image::tar::TarWriter w(&sink);
  for (const Member& m : members) {
    TarEntry e;
    e.name = m.name;
    e.type = m.type;
    e.mode = m.mode;
    e.mtime = 1234567890;
    if (m.type == TarType::kRegular) {
      e.size = m.data.size();
    } else {
      e.linkname = m.data;
    }
    EXPECT_TRUE(w.WriteHeader(e).ok());
    if (m.type == TarType::kRegular) {
      EXPECT_TRUE(w.WriteData(m.data).ok());
    }
  }
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

proto::LayerRef PutLayer(cache::BlobStore& store, const std::string& tar) {
  std::string blob;
  StringWriter sink(&blob);
  std::unique_ptr<ByteWriter> gz = image::compress::NewCompressor(
      image::compress::Compression::kGzip, &sink, {});
  EXPECT_TRUE(gz->Write(tar).ok());
  EXPECT_TRUE(gz->Close().ok());
  EXPECT_TRUE(cache::PutBlob(store, blob).ok());
  proto::LayerRef ref;
  ref.set_digest(Digest::Of(blob).ToString());
  ref.set_diff_id(Digest::Of(tar).ToString());
  ref.set_size(blob.size());
  ref.set_media_type(std::string(image::oci::kOciLayerTarGzip));
  return ref;
}

absl::StatusOr<std::unique_ptr<ByteReader>> CountingBlobStore::Get(
    const Digest& digest) {
  {
    absl::MutexLock lock(&mu_);
    ++gets_[digest.ToString()];
  }
  absl::SleepFor(delay_);
  return inner()->Get(digest);
}

int CountingBlobStore::Gets(const std::string& digest) const {
  absl::MutexLock lock(&mu_);
  auto it = gets_.find(digest);
  return it == gets_.end() ? 0 : it->second;
}

int CountingBlobStore::TotalGets() const {
  absl::MutexLock lock(&mu_);
  int total = 0;
  for (const auto& [d, n] : gets_) total += n;
  return total;
}

}  // namespace farm::snapshot::testing
