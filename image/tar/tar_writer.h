// TarWriter: streams tar members in the layout Go's archive/tar (and so
// BuildKit and Docker) writes: ustar headers, with a PAX extended header only
// for what ustar cannot hold (long or non-ASCII names, big numbers, xattrs).
// The same entries always give the same bytes.
#ifndef FARM_IMAGE_TAR_TAR_WRITER_H_
#define FARM_IMAGE_TAR_TAR_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/io.h"
#include "image/tar/tar_entry.h"

namespace farm::image::tar {

class TarWriter {
 public:
  // `out` is not owned and must outlive the writer. Not thread-safe.
  explicit TarWriter(ByteWriter* out) : out_(out) {}

  // Starts a member. The previous member must have received all its data.
  // Names are written as given (no cleaning), so tests can build hostile
  // archives with the same writer.
  absl::Status WriteHeader(const TarEntry& entry);
  // Data of the current member; in total exactly entry.size bytes.
  absl::Status WriteData(absl::string_view data);
  // Writes a raw special member (PAX 'x'/'g', GNU 'L'/'K') with `body`.
  absl::Status WriteSpecial(char typeflag, absl::string_view name,
                            absl::string_view body);
  // Writes the end-of-archive marker. Does not close `out`.
  absl::Status Finish();

  uint64_t bytes_written() const { return bytes_; }

 private:
  absl::Status Emit(absl::string_view data);
  absl::Status PadMember();

  ByteWriter* out_;
  int64_t remaining_ = 0;
  int64_t padding_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace farm::image::tar

#endif  // FARM_IMAGE_TAR_TAR_WRITER_H_
