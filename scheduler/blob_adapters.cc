#include "scheduler/blob_adapters.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"

namespace farm::scheduler {

absl::StatusOr<image::archive::OpenedBlob> StoreBlobSource::Open(
    const Digest& digest) {
  ASSIGN_OR_RETURN(cache::BlobInfo info, store_->Stat(digest));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, store_->Get(digest));
  image::archive::OpenedBlob blob;
  blob.reader = std::move(reader);
  blob.size = static_cast<int64_t>(info.size);
  return blob;
}

namespace {

constexpr int64_t kMemoryLimit = 4 << 20;

class SpooledUpload : public image::archive::BlobUpload {
 public:
  SpooledUpload(cache::BlobStore* store, std::string spool_path)
      : store_(store), spool_path_(std::move(spool_path)) {}
  ~SpooledUpload() override {
    file_.reset();
    if (!spool_path_.empty()) unlink(spool_path_.c_str());
  }

  absl::Status Write(absl::string_view data) override {
    hasher_.Update(data);
    if (file_ == nullptr && memory_.size() + data.size() <= kMemoryLimit) {
      memory_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    if (file_ == nullptr) {
      ASSIGN_OR_RETURN(file_, OpenFileWriter(spool_path_, 0600));
      RETURN_IF_ERROR(file_->Write(memory_));
      memory_.clear();
    }
    return file_->Write(data);
  }
  absl::Status Close() override { return absl::OkStatus(); }

  absl::Status Commit(const Digest& digest) override {
    Digest actual = hasher_.Finish();
    if (actual != digest) {
      return absl::DataLossError(absl::StrCat(
          "blob hashes to ", actual.ToString(), ", not ", digest.ToString()));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<cache::BlobWriter> writer,
                     store_->Put(digest));
    if (file_ == nullptr) {
      RETURN_IF_ERROR(writer->Write(memory_));
    } else {
      RETURN_IF_ERROR(file_->Close());
      file_.reset();
      ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader,
                       OpenFileReader(spool_path_));
      RETURN_IF_ERROR(Copy(*reader, *writer).status());
    }
    return writer->Commit();
  }

 private:
  cache::BlobStore* store_;
  std::string spool_path_;
  Sha256Hasher hasher_;
  std::string memory_;
  std::unique_ptr<ByteWriter> file_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<image::archive::BlobUpload>>
StoreBlobSink::Begin(int64_t size) {
  static std::atomic<uint64_t> counter{0};
  RETURN_IF_ERROR(MakeDirs(spool_dir_, 0700));
  std::string path =
      JoinPath(spool_dir_, absl::StrCat("spool-", getpid(), "-", counter++));
  return std::unique_ptr<image::archive::BlobUpload>(
      new SpooledUpload(store_, path));
}

}  // namespace farm::scheduler
