#include "cache/blob_file_dir.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/direct_file_writer.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/prefetching_reader.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

constexpr char kTempDir[] = "tmp";

// Ends with kDataLoss unless the file holds exactly `size` bytes.
class SizedFileReader : public ByteReader {
 public:
  SizedFileReader(std::unique_ptr<ByteReader> file, std::string path,
                  uint64_t size)
      : file_(std::move(file)), path_(std::move(path)), size_(size) {}

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (size == 0) return 0;
    absl::StatusOr<size_t> n = file_->Read(buf, size);
    if (!n.ok()) return n;
    delivered_ += *n;
    if (delivered_ > size_) {
      return absl::DataLossError(
          absl::StrCat(path_, " holds more than ", size_, " bytes"));
    }
    if (*n == 0 && delivered_ < size_) {
      return absl::DataLossError(
          absl::StrCat(path_, " has ", delivered_, " bytes, expected ", size_));
    }
    return n;
  }

 private:
  std::unique_ptr<ByteReader> file_;
  std::string path_;
  uint64_t size_;
  uint64_t delivered_ = 0;
};

absl::Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlobFileDir>> BlobFileDir::Open(
    std::string dir) {
  std::unique_ptr<BlobFileDir> files(new BlobFileDir(std::move(dir)));
  std::string temp = JoinPath(files->dir_, kTempDir);
  RETURN_IF_ERROR(RemoveAll(temp));
  RETURN_IF_ERROR(MakeDirs(temp, 0700));
  return files;
}

std::string BlobFileDir::PathOf(const Digest& digest) const {
  return absl::StrCat(dir_, "/", digest.hex().substr(0, 2), "/", digest.hex());
}

std::string BlobFileDir::TempPath(uint64_t upload_id) const {
  return absl::StrCat(dir_, "/", kTempDir, "/", upload_id);
}

absl::StatusOr<std::unique_ptr<ByteWriter>> BlobFileDir::CreateTemp(
    uint64_t upload_id) {
  // Uploads are big and read back rarely soon: write them past the page
  // cache, on a thread of their own (see common/direct_file_writer.h).
  return OpenDirectFileWriter(TempPath(upload_id), 0600);
}

void BlobFileDir::RemoveTemp(uint64_t upload_id) {
  absl::Status removed = RemoveFile(TempPath(upload_id));
  if (!removed.ok()) {
    FARM_LOG(WARNING) << removed;
  }
}

absl::Status BlobFileDir::Publish(uint64_t upload_id, const Digest& digest) {
  std::string path = PathOf(digest);
  RETURN_IF_ERROR(MakeDirs(DirName(path), 0700));
  if (rename(TempPath(upload_id).c_str(), path.c_str()) != 0) {
    return ErrnoStatus(
        errno, absl::StrCat("renaming upload ", upload_id, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status BlobFileDir::Remove(const Digest& digest) {
  return RemoveFile(PathOf(digest));
}

absl::StatusOr<std::unique_ptr<ByteReader>> BlobFileDir::Read(
    const Digest& digest, uint64_t size) {
  std::string path = PathOf(digest);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> file, OpenFileReader(path));
  // Blob files are written past the page cache: read ahead, so the disk
  // works while the caller verifies what it has.
  return std::make_unique<SizedFileReader>(
      NewPrefetchingReader(std::move(file)), path, size);
}

absl::StatusOr<std::vector<std::pair<Digest, uint64_t>>> BlobFileDir::List() {
  std::vector<std::pair<Digest, uint64_t>> out;
  ASSIGN_OR_RETURN(std::vector<std::string> prefixes, ListDir(dir_));
  for (const std::string& prefix : prefixes) {
    if (prefix == kTempDir) continue;
    std::string subdir = JoinPath(dir_, prefix);
    if (!IsDirectory(subdir)) {
      RETURN_IF_ERROR(RemoveFile(subdir));
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(subdir));
    for (const std::string& name : names) {
      std::string path = JoinPath(subdir, name);
      absl::StatusOr<Digest> digest = Digest::Parse("sha256:" + name);
      struct stat st;
      if (!digest.ok() || name.compare(0, 2, prefix) != 0 ||
          lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        FARM_LOG(WARNING) << "removing " << path << ": not a blob file";
        RETURN_IF_ERROR(RemoveAll(path));
        continue;
      }
      out.emplace_back(*digest, static_cast<uint64_t>(st.st_size));
    }
  }
  return out;
}

}  // namespace farm::cache
