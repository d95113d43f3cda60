#include "client/context/context_blob_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/fs.h"

namespace farm::client::context {

namespace {

absl::Status Changed(const std::string& path) {
  return absl::AbortedError(
      absl::StrCat("file ", path, " changed during the build"));
}

// Reads one context file and fails at its end unless the bytes read match
// the digest and size the manifest gave.
class VerifyingFileReader : public ByteReader {
 public:
  VerifyingFileReader(ScopedFd fd, std::string path, std::string digest,
                      int64_t size)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        digest_(std::move(digest)),
        size_(size) {}

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (!status_.ok()) return status_;
    if (verified_) return 0;
    ssize_t n;
    do {
      n = read(fd_.get(), buf, size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      status_ = ErrnoStatus(errno, absl::StrCat("reading ", path_));
      return status_;
    }
    read_ += n;
    if (read_ > size_) status_ = Changed(path_);
    if (n > 0) {
      hasher_.Update(buf, n);
    } else if (read_ != size_ || hasher_.Finish().ToString() != digest_) {
      status_ = Changed(path_);
    } else {
      verified_ = true;
    }
    if (!status_.ok()) return status_;
    return static_cast<size_t>(n);
  }

 private:
  ScopedFd fd_;
  std::string path_;
  std::string digest_;
  int64_t size_;
  int64_t read_ = 0;
  Sha256Hasher hasher_;
  absl::Status status_;
  bool verified_ = false;
};

bool SameFile(const struct stat& st, const FileIdentity& id) {
  FileIdentity now = FileIdentity::FromStat(st);
  return now.dev == id.dev && now.ino == id.ino && now.size == id.size &&
         now.mtime_nanos == id.mtime_nanos;
}

}  // namespace

std::vector<FileOrigin> ContextBlobSource::FilesWith(
    const std::string& digest) {
  absl::MutexLock lock(&mu_);
  if (!files_.has_value()) files_ = FilesByDigest(snapshot_);
  auto it = files_->find(digest);
  return it == files_->end() ? std::vector<FileOrigin>() : it->second;
}

absl::StatusOr<std::unique_ptr<ByteReader>> ContextBlobSource::Open(
    const std::string& digest) {
  const std::vector<FileOrigin> files = FilesWith(digest);
  if (files.empty()) {
    return absl::NotFoundError(
        absl::StrCat("blob ", digest, " is not in the build context"));
  }
  for (const FileOrigin& origin : files) {
    int fd = open(JoinPath(snapshot_.root, origin.path).c_str(),
                  O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    ScopedFd owned(fd);
    struct stat st;
    if (fstat(fd, &st) != 0 || !SameFile(st, origin.id)) continue;
    return std::unique_ptr<ByteReader>(new VerifyingFileReader(
        std::move(owned), origin.path, digest, origin.id.size));
  }
  return Changed(files.front().path);
}

}  // namespace farm::client::context
