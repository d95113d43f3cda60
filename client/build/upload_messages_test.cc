#include "client/build/upload_messages.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/io.h"
#include "gtest/gtest.h"

namespace farm::client::build {
namespace {

// Serves blobs from memory, failing at the end like the context's source
// does when the content is not what the digest says.
class MemoryBlobSource : public context::BlobSource {
 public:
  void Add(const std::string& content, const std::string& served) {
    blobs_[Digest::Of(content).ToString()] = served;
  }
  absl::StatusOr<std::unique_ptr<ByteReader>> Open(
      const std::string& digest) override {
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) return absl::NotFoundError("no such blob");
    std::unique_ptr<ByteReader> r(
        new Checked(it->second, Digest::Of(it->second).ToString() == digest));
    return r;
  }

 private:
  class Checked : public ByteReader {
   public:
    Checked(std::string data, bool good)
        : inner_(std::move(data)), good_(good) {}
    absl::StatusOr<size_t> Read(char* buf, size_t size) override {
      absl::StatusOr<size_t> n = inner_.Read(buf, size);
      if (n.ok() && *n == 0 && !good_) {
        return absl::AbortedError("file x changed during the build");
      }
      return n;
    }

   private:
    StringReader inner_;
    bool good_;
  };
  std::map<std::string, std::string> blobs_;
};

struct Sent {
  std::vector<proto::BlobChunk> chunks;
  bool Write(const proto::BuildClientMessage& m) {
    chunks.push_back(m.blob());
    return true;
  }
};

absl::StatusOr<int64_t> Send(MemoryBlobSource& source,
                             const std::string& content, size_t chunk,
                             Sent& sent) {
  return SendBlob(
      source, Digest::Of(content).ToString(), chunk,
      [&](const proto::BuildClientMessage& m) { return sent.Write(m); },
      [] { return false; });
}

TEST(SendBlobTest, ChunksWithTheLastMarked) {
  MemoryBlobSource source;
  std::string content = "0123456789";
  source.Add(content, content);
  for (size_t chunk : {3, 5, 10, 64}) {
    Sent sent;
    absl::StatusOr<int64_t> n = Send(source, content, chunk, sent);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 10);
    std::string joined;
    for (size_t i = 0; i < sent.chunks.size(); ++i) {
      EXPECT_EQ(sent.chunks[i].digest(), Digest::Of(content).ToString());
      EXPECT_EQ(sent.chunks[i].last(), i + 1 == sent.chunks.size());
      EXPECT_LE(sent.chunks[i].data().size(), chunk);
      EXPECT_FALSE(sent.chunks[i].data().empty());
      joined += sent.chunks[i].data();
    }
    EXPECT_EQ(joined, content);
    EXPECT_EQ(sent.chunks.size(), (10 + chunk - 1) / chunk) << chunk;
  }
}

TEST(SendBlobTest, EmptyBlobIsOneEmptyLastChunk) {
  MemoryBlobSource source;
  source.Add("", "");
  Sent sent;
  ASSERT_TRUE(Send(source, "", 4, sent).ok());
  ASSERT_EQ(sent.chunks.size(), 1u);
  EXPECT_TRUE(sent.chunks[0].last());
  EXPECT_EQ(sent.chunks[0].data(), "");
}

TEST(SendBlobTest, ChangedContentIsNeverSentAsComplete) {
  MemoryBlobSource source;
  source.Add("abcdefgh", "abcdefgX");
  for (size_t chunk : {2, 4, 8, 16}) {
    Sent sent;
    absl::StatusOr<int64_t> n = Send(source, "abcdefgh", chunk, sent);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kAborted);
    EXPECT_EQ(n.status().message(), "file x changed during the build");
    for (const proto::BlobChunk& c : sent.chunks) EXPECT_FALSE(c.last());
  }
}

TEST(SendBlobTest, StopsWhenToldAndWhenWritesFail) {
  MemoryBlobSource source;
  source.Add("abcdef", "abcdef");
  std::string digest = Digest::Of("abcdef").ToString();
  auto stopped = SendBlob(
      source, digest, 2, [](const proto::BuildClientMessage&) { return true; },
      [] { return true; });
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);
  auto broken = SendBlob(
      source, digest, 2, [](const proto::BuildClientMessage&) { return false; },
      [] { return false; });
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(broken.status().message(),
            "the connection dropped while sending " + digest);
  auto missing = SendBlob(
      source, Digest::Of("nope").ToString(), 2,
      [](const proto::BuildClientMessage&) { return true; },
      [] { return false; });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(ManifestMessagesTest, SplitsUnderTheLimitAndMarksTheLast) {
  proto::ContextManifest manifest;
  for (int i = 0; i < 20000; ++i) {
    proto::ContextEntry* e = manifest.add_entries();
    e->set_path(absl::StrCat("some/fairly/long/directory/name/file-", i));
    e->set_digest(Digest::Of(absl::StrCat(i)).ToString());
    e->set_size(i);
    e->set_mode(0644);
    e->set_mtime_unix_nanos(1700000000000000000 + i);
  }
  std::vector<proto::BuildClientMessage> messages =
      ManifestMessages(manifest, kDefaultManifestChunkBytes);
  ASSERT_GT(messages.size(), 1u);
  proto::ContextManifest joined;
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_LE(messages[i].ByteSizeLong(), kDefaultManifestChunkBytes + 64);
    EXPECT_EQ(messages[i].manifest().last(), i + 1 == messages.size());
    for (const auto& e : messages[i].manifest().entries()) {
      *joined.add_entries() = e;
    }
  }
  EXPECT_EQ(joined.SerializeAsString(), manifest.SerializeAsString());

  std::vector<proto::BuildClientMessage> empty =
      ManifestMessages(proto::ContextManifest(), 100);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].manifest().last());
  EXPECT_EQ(empty[0].manifest().entries_size(), 0);
}

}  // namespace
}  // namespace farm::client::build
