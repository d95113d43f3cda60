#include "common/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace farm {

absl::StatusOr<std::string> ReadAll(ByteReader& reader, size_t max_bytes) {
  std::string out;
  char buf[1 << 16];
  while (true) {
    absl::StatusOr<size_t> n = reader.Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    if (out.size() + *n > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("stream is larger than ", max_bytes, " bytes"));
    }
    out.append(buf, *n);
  }
}

absl::StatusOr<uint64_t> Copy(ByteReader& reader, ByteWriter& writer) {
  uint64_t total = 0;
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  while (true) {
    absl::StatusOr<size_t> n = reader.Read(buf.get(), 1 << 20);
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    absl::Status s = writer.Write(absl::string_view(buf.get(), *n));
    if (!s.ok()) return s;
    total += *n;
  }
}

absl::StatusOr<size_t> StringReader::Read(char* buf, size_t size) {
  size_t n = std::min(size, data_.size() - offset_);
  memcpy(buf, data_.data() + offset_, n);
  offset_ += n;
  return n;
}

absl::Status StringWriter::Write(absl::string_view data) {
  out_->append(data.data(), data.size());
  return absl::OkStatus();
}

namespace {

class FileReader : public ByteReader {
 public:
  FileReader(ScopedFd fd, std::string path)
      : fd_(std::move(fd)), path_(std::move(path)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    while (true) {
      ssize_t n = read(fd_.get(), buf, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) {
        return ErrnoStatus(errno, absl::StrCat("reading ", path_));
      }
    }
  }

 private:
  ScopedFd fd_;
  std::string path_;
};

class FileWriter : public ByteWriter {
 public:
  FileWriter(ScopedFd fd, std::string path)
      : fd_(std::move(fd)), path_(std::move(path)) {}
  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, absl::StrCat("writing ", path_));
      }
      data.remove_prefix(n);
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    int fd = fd_.release();
    if (fd >= 0 && close(fd) != 0) {
      return ErrnoStatus(errno, absl::StrCat("closing ", path_));
    }
    return absl::OkStatus();
  }

 private:
  ScopedFd fd_;
  std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ByteReader>> OpenFileReader(
    const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
  return std::unique_ptr<ByteReader>(new FileReader(ScopedFd(fd), path));
}

absl::StatusOr<std::unique_ptr<ByteWriter>> OpenFileWriter(
    const std::string& path, int mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("creating ", path));
  return std::unique_ptr<ByteWriter>(new FileWriter(ScopedFd(fd), path));
}

}  // namespace farm
