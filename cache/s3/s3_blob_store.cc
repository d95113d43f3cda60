#include "cache/s3/s3_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/verifying_stream.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::cache::s3 {
namespace {

// Holds an upload in memory, or past the threshold in an unnamed file of
// the spool directory (O_TMPFILE: nothing to clean after a crash), and
// sends it at Commit once the digest checks out.
class SpoolingWriter : public HashingBlobWriter {
 public:
  SpoolingWriter(const Digest& digest, S3Bucket* bucket,
                 const S3BlobStoreOptions& options)
      : HashingBlobWriter(digest), bucket_(bucket), options_(options) {}

 protected:
  absl::Status Append(absl::string_view data) override {
    if (!(file_.get() >= 0) &&
        memory_.size() + data.size() <= options_.memory_spool_bytes) {
      memory_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    if (!(file_.get() >= 0)) {
      int fd = open(options_.spool_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC,
                    0600);
      if (fd < 0) {
        return ErrnoStatus(
            errno, absl::StrCat("spooling an upload in ", options_.spool_dir));
      }
      file_ = ScopedFd(fd);
      RETURN_IF_ERROR(WriteAll(memory_));
      memory_.clear();
      memory_.shrink_to_fit();
    }
    return WriteAll(data);
  }

  absl::Status Finish(uint64_t size) override {
    std::string key = S3BlobStore::KeyOf(expected());
    if (!(file_.get() >= 0)) return bucket_->Write(key, memory_);
    return bucket_->WriteFile(key, file_.get(), size, expected().hex());
  }

 private:
  absl::Status WriteAll(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = write(file_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "spooling an upload");
      }
      data.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  S3Bucket* bucket_;
  const S3BlobStoreOptions& options_;
  std::string memory_;
  ScopedFd file_;
};

// S3's "404 NoSuchKey" in the words every BlobStore uses, naming the blob;
// a missing bucket keeps its own message.
absl::Status NameMissing(absl::Status status, const Digest& digest) {
  if (!absl::IsNotFound(status) ||
      absl::StartsWith(status.message(), "the bucket")) {
    return status;
  }
  return absl::NotFoundError(
      absl::StrCat("blob ", digest.ToString(), " is not in the object store"));
}

}  // namespace

std::string S3BlobStore::KeyOf(const Digest& digest) {
  return absl::StrCat("cas/sha256/", digest.hex());
}

absl::StatusOr<std::vector<Digest>> S3BlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  std::vector<Digest> unique;
  absl::flat_hash_set<Digest> seen;
  std::vector<std::string> keys;
  for (const Digest& digest : digests) {
    if (!seen.insert(digest).second) continue;
    unique.push_back(digest);
    keys.push_back(KeyOf(digest));
  }
  std::vector<absl::StatusOr<uint64_t>> sizes = bucket_->Sizes(keys);
  std::vector<Digest> missing;
  for (size_t i = 0; i < unique.size(); ++i) {
    if (sizes[i].ok()) continue;
    if (!absl::IsNotFound(sizes[i].status())) return sizes[i].status();
    missing.push_back(unique[i]);
  }
  return missing;
}

absl::StatusOr<std::unique_ptr<ByteReader>> S3BlobStore::Get(
    const Digest& digest) {
  absl::StatusOr<std::unique_ptr<ByteReader>> read =
      bucket_->Read(KeyOf(digest));
  if (!read.ok()) return NameMissing(read.status(), digest);
  std::unique_ptr<ByteReader> object = *std::move(read);
  S3Bucket* bucket = bucket_;
  return std::unique_ptr<ByteReader>(
      new VerifyingReader(std::move(object), digest, [bucket, digest] {
        // The store checked the bytes when they came in, so a mismatch now
        // is damage at rest: remove it, as the interface promises.
        bucket->Remove(KeyOf(digest)).IgnoreError();
      }));
}

absl::StatusOr<std::unique_ptr<BlobWriter>> S3BlobStore::Put(
    const Digest& digest) {
  return std::unique_ptr<BlobWriter>(
      new SpoolingWriter(digest, bucket_, options_));
}

absl::Status S3BlobStore::Delete(const Digest& digest) {
  return bucket_->Remove(KeyOf(digest));
}

absl::StatusOr<BlobInfo> S3BlobStore::Stat(const Digest& digest) {
  absl::StatusOr<uint64_t> size = bucket_->Size(KeyOf(digest));
  if (!size.ok()) return NameMissing(size.status(), digest);
  return BlobInfo{digest, *size};
}

absl::Status S3BlobStore::PutFile(const Digest& digest,
                                  const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  ScopedFd file(fd);
  struct stat info;
  if (fstat(fd, &info) != 0) return ErrnoStatus(errno, path);
  return bucket_->WriteFile(KeyOf(digest), fd, info.st_size, digest.hex());
}

std::vector<absl::StatusOr<std::string>> S3BlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  std::vector<std::string> keys;
  keys.reserve(digests.size());
  for (const Digest& digest : digests) keys.push_back(KeyOf(digest));
  std::vector<absl::StatusOr<std::string>> blobs =
      bucket_->ReadSmall(keys, options_.max_small_bytes);
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!blobs[i].ok()) {
      blobs[i] = NameMissing(blobs[i].status(), digests[i]);
    } else if (Digest::Of(*blobs[i]) != digests[i]) {
      blobs[i] = absl::DataLossError(
          absl::StrCat("the object store's copy of ", digests[i].ToString(),
                       " does not match its digest"));
    }
  }
  return blobs;
}

}  // namespace farm::cache::s3
