// TarReader: reads tar members from a ByteReader with libarchive's tar
// parser (ustar, PAX, GNU), one member at a time, never holding a member's
// data in memory. Used by the layer applier and the archive importer.
#ifndef FARM_IMAGE_TAR_TAR_READER_H_
#define FARM_IMAGE_TAR_TAR_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io.h"
#include "image/tar/tar_entry.h"

struct archive;

namespace farm::image::tar {

struct TarReaderOptions {
  // Bytes of header blocks (ustar plus PAX/GNU extensions) one member may
  // take. More is kResourceExhausted.
  uint64_t max_header_bytes = 1 << 20;
};

class TarReader : public ByteReader {
 public:
  // `in` is not owned and must outlive the reader. Not thread-safe.
  explicit TarReader(ByteReader* in, TarReaderOptions options = {});
  ~TarReader() override;
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // Moves to the next member, skipping unread data of the current one.
  // Returns false at the end of the archive. Errors: kDataLoss for a
  // truncated or damaged archive, kResourceExhausted past the header cap,
  // kUnimplemented for member types a layer cannot hold (sockets); the
  // message names the member (or the one before a bad header). An error
  // from `in` is returned as is.
  absl::StatusOr<bool> Next(TarEntry* entry);
  // Reads data of the current member; 0 at its end.
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;

  // 1-based number of the current member, for messages.
  int64_t index() const { return index_; }
  const std::string& name() const { return name_; }

 private:
  static long ReadCallback(struct archive*, void* self, const void** buf);
  absl::Status Error(absl::string_view context);

  ByteReader* in_;
  TarReaderOptions options_;
  struct archive* archive_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  absl::Status in_status_;
  absl::Status sticky_;
  int64_t index_ = 0;
  std::string name_;
  bool opened_ = false;
};

}  // namespace farm::image::tar

#endif  // FARM_IMAGE_TAR_TAR_READER_H_
