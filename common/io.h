// ByteReader / ByteWriter: the streaming seam shared by the cache, the image
// code and the services, so a layer can flow from a file, a RocksDB blob or a
// gRPC stream without being held in memory.
#ifndef FARM_COMMON_IO_H_
#define FARM_COMMON_IO_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm {

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to `size` bytes into `buf`. Returns 0 only at end of stream.
  // Errors are sticky: once an error is returned, later calls fail too.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t size) = 0;
};

class ByteWriter {
 public:
  virtual ~ByteWriter() = default;
  virtual absl::Status Write(absl::string_view data) = 0;
  // Flushes and finishes the stream. Nothing may be written afterwards.
  virtual absl::Status Close() = 0;
};

// Reads everything left in `reader`; fails with kResourceExhausted past
// `max_bytes`.
absl::StatusOr<std::string> ReadAll(ByteReader& reader,
                                    size_t max_bytes = size_t{1} << 30);
// Copies until end of stream. Does not close `writer`. Returns bytes copied.
absl::StatusOr<uint64_t> Copy(ByteReader& reader, ByteWriter& writer);

// Reads from an in-memory string it owns.
class StringReader : public ByteReader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;

 private:
  std::string data_;
  size_t offset_ = 0;
};

// Appends to a caller-owned string.
class StringWriter : public ByteWriter {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  absl::Status Write(absl::string_view data) override;
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* out_;
};

// Reads a file from the start. kNotFound if it does not exist.
absl::StatusOr<std::unique_ptr<ByteReader>> OpenFileReader(
    const std::string& path);
// Creates or truncates a file.
absl::StatusOr<std::unique_ptr<ByteWriter>> OpenFileWriter(
    const std::string& path, int mode = 0644);

}  // namespace farm

#endif  // FARM_COMMON_IO_H_
