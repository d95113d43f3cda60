// BlobFileDir: the plain files that hold blobs too large to be worth
// chunking into RocksDB. One file per blob at <dir>/<first 2 hex>/<hex>,
// written as <dir>/tmp/<upload id> and renamed into place once verified, so
// a name only ever holds the whole, checked blob.
#ifndef FARM_CACHE_BLOB_FILE_DIR_H_
#define FARM_CACHE_BLOB_FILE_DIR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/digest.h"
#include "common/io.h"

namespace farm::cache {

// Knows names and file operations only; which files should exist is the
// owning store's business (RocksDbBlobStore keeps one record per file).
// Thread-safe: every method is a few system calls on distinct names. Nothing
// is fsync'd: a file survives the death of the process that wrote it, and a
// file torn by a machine crash fails its digest when read.
class BlobFileDir {
 public:
  // Creates `dir` if needed and removes what uploads cut short left in tmp/.
  static absl::StatusOr<std::unique_ptr<BlobFileDir>> Open(std::string dir);

  // Creates tmp/<upload_id>, empty, for the upload to write.
  absl::StatusOr<std::unique_ptr<ByteWriter>> CreateTemp(uint64_t upload_id);
  // Removes tmp/<upload_id>; a missing file is fine.
  void RemoveTemp(uint64_t upload_id);
  // Renames tmp/<upload_id> to the digest's name, replacing any file there.
  absl::Status Publish(uint64_t upload_id, const Digest& digest);
  // Removes the digest's file; a missing file is fine.
  absl::Status Remove(const Digest& digest);
  // Streams the digest's file, which must hold `size` bytes: a shorter or
  // longer file is kDataLoss at its end. kNotFound if there is no file. The
  // reader keeps the file open, so it keeps working after Remove.
  absl::StatusOr<std::unique_ptr<ByteReader>> Read(const Digest& digest,
                                                   uint64_t size);
  // Every blob file and its size. Files whose names are not blob names are
  // removed as they are found.
  absl::StatusOr<std::vector<std::pair<Digest, uint64_t>>> List();

  std::string PathOf(const Digest& digest) const;
  std::string TempPath(uint64_t upload_id) const;

 private:
  explicit BlobFileDir(std::string dir) : dir_(std::move(dir)) {}

  const std::string dir_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_BLOB_FILE_DIR_H_
