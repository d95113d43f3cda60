#include "image/archive/dir_blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/compress/digesting_io.h"

namespace farm::image::archive {
namespace {

class FileUpload : public BlobUpload {
 public:
  FileUpload(std::unique_ptr<ByteWriter> file, std::string tmp,
             const DirBlobStore* store)
      : file_(std::move(file)),
        hashed_(file_.get()),
        tmp_(std::move(tmp)),
        store_(store) {}
  ~FileUpload() override {
    if (!committed_) unlink(tmp_.c_str());
  }
  absl::Status Write(absl::string_view data) override {
    return hashed_.Write(data);
  }
  absl::Status Close() override { return absl::OkStatus(); }
  absl::Status Commit(const Digest& digest) override {
    RETURN_IF_ERROR(file_->Close());
    Digest actual = hashed_.Finish();
    if (actual != digest) {
      return absl::DataLossError(absl::StrCat("blob claimed as ",
                                              digest.ToString(), " hashes to ",
                                              actual.ToString()));
    }
    std::string final_path = store_->PathOf(digest);
    if (rename(tmp_.c_str(), final_path.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("storing ", final_path));
    }
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<ByteWriter> file_;
  compress::DigestingWriter hashed_;
  std::string tmp_;
  const DirBlobStore* store_;
  bool committed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DirBlobStore>> DirBlobStore::Open(
    const std::string& dir) {
  RETURN_IF_ERROR(MakeDirs(dir + "/blobs/sha256"));
  RETURN_IF_ERROR(MakeDirs(dir + "/ingest"));
  return std::unique_ptr<DirBlobStore>(new DirBlobStore(dir));
}

std::string DirBlobStore::PathOf(const Digest& digest) const {
  return absl::StrCat(dir_, "/blobs/sha256/", digest.hex());
}

absl::StatusOr<OpenedBlob> DirBlobStore::Open(const Digest& digest) {
  std::string path = PathOf(digest);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("blob ", digest.ToString(), " is not in ", dir_));
  }
  OpenedBlob blob;
  ASSIGN_OR_RETURN(blob.reader, OpenFileReader(path));
  blob.size = st.st_size;
  return blob;
}

absl::StatusOr<std::unique_ptr<BlobUpload>> DirBlobStore::Begin(int64_t) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp =
      absl::StrCat(dir_, "/ingest/", getpid(), ".", counter.fetch_add(1));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file, OpenFileWriter(tmp));
  return std::unique_ptr<BlobUpload>(
      new FileUpload(std::move(file), tmp, this));
}

}  // namespace farm::image::archive
