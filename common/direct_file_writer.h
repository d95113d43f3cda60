// DirectFileWriter: a ByteWriter for big files that nobody reads back soon,
// such as a blob arriving over the network. The caller's bytes are copied
// into a few aligned buffers and a background thread writes them with
// O_DIRECT, past the page cache.
//
// Why: on the VMs farm runs on, the kernel's copy into fresh page-cache pages
// costs about as much CPU as the sha256 of the same bytes (0.5 s for 320 MB),
// and it sat on the thread that receives an upload. A direct write costs the
// kernel almost nothing, and on its own thread it overlaps the receiving.
//
// Where O_DIRECT is refused (tmpfs, some overlay setups) the same thread
// writes through the page cache instead, so the writer works everywhere.
#ifndef FARM_COMMON_DIRECT_FILE_WRITER_H_
#define FARM_COMMON_DIRECT_FILE_WRITER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/io.h"

namespace farm {

// Creates (or truncates) `path` with `mode`. Write copies into a buffer and
// returns at once unless every buffer is waiting for the disk. A failed
// background write is returned by the next Write or by Close; Close waits
// for every byte to be written and closes the file. Destroying the writer
// without Close stops the thread and closes the file, leaving it partial.
// Nothing is fsync'd. Not thread-safe: one caller writes.
absl::StatusOr<std::unique_ptr<ByteWriter>> OpenDirectFileWriter(
    const std::string& path, int mode);

}  // namespace farm

#endif  // FARM_COMMON_DIRECT_FILE_WRITER_H_
