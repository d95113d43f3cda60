// BlobSource: where the client finds the bytes of a blob the farm asks for
// during a build. ContextBlobSource serves them from the files of a walked
// context and makes sure they still are what the manifest promised.
#ifndef FARM_CLIENT_CONTEXT_CONTEXT_BLOB_SOURCE_H_
#define FARM_CLIENT_CONTEXT_CONTEXT_BLOB_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/context/context_walker.h"
#include "common/io.h"

namespace farm::client::context {

class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // A reader of the content with digest `digest` ("sha256:<hex>"). The
  // reader checks what it reads: its last Read (the one that would return
  // 0) fails instead when the bytes do not hash to `digest`, so a caller
  // that holds back its final chunk until end of stream never sends a
  // wrong blob as complete. Errors: kNotFound for a digest the source does
  // not hold; kAborted "file X changed during the build" when the content
  // is no longer there. Thread-safe; each reader is used by one thread.
  virtual absl::StatusOr<std::unique_ptr<ByteReader>> Open(
      const std::string& digest) = 0;
};

class ContextBlobSource : public BlobSource {
 public:
  // Serves the files of `snapshot`, which must outlive the source. Its
  // index by digest is made on the first Open.
  explicit ContextBlobSource(const ContextSnapshot& snapshot)
      : snapshot_(snapshot) {}
  explicit ContextBlobSource(ContextSnapshot&&) = delete;  // would dangle

  // Tries each file with that content in turn, skipping files whose stat
  // (device, inode, size, mtime) differs from the walk's.
  absl::StatusOr<std::unique_ptr<ByteReader>> Open(
      const std::string& digest) override;

 private:
  // The files with content `digest`, from the index.
  std::vector<FileOrigin> FilesWith(const std::string& digest);

  const ContextSnapshot& snapshot_;
  absl::Mutex mu_;
  std::optional<absl::flat_hash_map<std::string, std::vector<FileOrigin>>>
      files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::client::context

#endif  // FARM_CLIENT_CONTEXT_CONTEXT_BLOB_SOURCE_H_
