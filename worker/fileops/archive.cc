#include "worker/fileops/archive.h"

#include <archive.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/compress/decompressor.h"
#include "image/layer/layer_applier.h"

namespace farm::fileops {
namespace {

using image::compress::Compression;

class FdByteReader : public ByteReader {
 public:
  explicit FdByteReader(ScopedFd fd) : fd_(std::move(fd)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    while (true) {
      ssize_t n = read(fd_.get(), buf, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoStatus(errno, "reading");
    }
  }

 private:
  ScopedFd fd_;
};

// Gives back bytes already read from `rest`, then reads on from it.
class PrefixReader : public ByteReader {
 public:
  PrefixReader(std::string prefix, std::unique_ptr<ByteReader> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (offset_ < prefix_.size()) {
      size_t n = std::min(size, prefix_.size() - offset_);
      memcpy(buf, prefix_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    return rest_->Read(buf, size);
  }

 private:
  std::string prefix_;
  size_t offset_ = 0;
  std::unique_ptr<ByteReader> rest_;
};

// bzip2 and xz through libarchive's filters and its "raw" format, which
// hands back the decompressed bytes as one member.
class LibarchiveReader : public ByteReader {
 public:
  LibarchiveReader(std::unique_ptr<ByteReader> in, bool xz)
      : in_(std::move(in)),
        buffer_(1 << 16, '\0'),
        archive_(archive_read_new()) {
    if (xz) {
      archive_read_support_filter_xz(archive_);
    } else {
      archive_read_support_filter_bzip2(archive_);
    }
    archive_read_support_format_raw(archive_);
  }
  ~LibarchiveReader() override { archive_read_free(archive_); }

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    RETURN_IF_ERROR(status_);
    if (!opened_) {
      opened_ = true;
      struct archive_entry* entry;
      if (archive_read_open(archive_, this, nullptr, &Callback, nullptr) !=
              ARCHIVE_OK ||
          archive_read_next_header(archive_, &entry) != ARCHIVE_OK) {
        return Fail();
      }
    }
    la_ssize_t n = archive_read_data(archive_, buf, size);
    if (n < 0) return Fail();
    return static_cast<size_t>(n);
  }

 private:
  static la_ssize_t Callback(struct archive*, void* self, const void** out) {
    auto* r = static_cast<LibarchiveReader*>(self);
    absl::StatusOr<size_t> n =
        r->in_->Read(r->buffer_.data(), r->buffer_.size());
    if (!n.ok()) {
      r->in_status_ = n.status();
      return -1;
    }
    *out = r->buffer_.data();
    return static_cast<la_ssize_t>(*n);
  }

  absl::Status Fail() {
    status_ = in_status_.ok()
                  ? absl::DataLossError(absl::StrCat(
                        "decompressing: ", archive_error_string(archive_)
                                               ? archive_error_string(archive_)
                                               : "damaged stream"))
                  : in_status_;
    return status_;
  }

  std::unique_ptr<ByteReader> in_;
  std::string buffer_;
  struct archive* archive_;
  bool opened_ = false;
  absl::Status status_;
  absl::Status in_status_;
};

// Reads up to `n` bytes, fewer only at the end of the stream.
absl::StatusOr<std::string> ReadUpTo(ByteReader& in, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t r, in.Read(out.data() + got, n - got));
    if (r == 0) break;
    got += r;
  }
  out.resize(got);
  return out;
}

// A tar numeric field: octal digits padded with spaces or NULs, or GNU's
// base-256 form (high bit of the first byte set).
bool ValidNumber(absl::string_view field) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80)) {
    return true;
  }
  bool digits = false, ended = false;
  for (char c : field) {
    if (c == ' ' || c == '\0') {
      if (digits) ended = true;
      continue;
    }
    if (ended || c < '0' || c > '7') return false;
    digits = true;
  }
  return true;
}

uint64_t ParseOctal(absl::string_view field) {
  uint64_t v = 0;
  for (char c : field) {
    if (c >= '0' && c <= '7') v = v * 8 + (c - '0');
  }
  return v;
}

// What Go's tar.Reader.Next checks of a first header block.
bool IsTarHeader(absl::string_view block) {
  if (block.size() < 512) return false;
  bool zero = true;
  for (char c : block) zero = zero && c == '\0';
  if (zero) return false;  // an empty archive: Next reports io.EOF
  absl::string_view sum_field = block.substr(148, 8);
  if (!ValidNumber(sum_field)) return false;
  uint64_t want = ParseOctal(sum_field);
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    char c = (i >= 148 && i < 156) ? ' ' : block[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  if (want != unsigned_sum && static_cast<int64_t>(want) != signed_sum) {
    return false;
  }
  // mode, uid, gid, size, mtime
  for (auto [off, len] : {std::pair<int, int>{100, 8},
                          {108, 8},
                          {116, 8},
                          {124, 12},
                          {136, 12}}) {
    if (!ValidNumber(block.substr(off, len))) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<ByteReader> FdReader(ScopedFd fd) {
  return std::make_unique<FdByteReader>(std::move(fd));
}

std::unique_ptr<ByteReader> Decompressed(std::unique_ptr<ByteReader> file) {
  absl::StatusOr<std::string> head = ReadUpTo(*file, 6);
  if (!head.ok()) return file;  // the error shows on the next Read
  auto rest = std::make_unique<PrefixReader>(*head, std::move(file));
  absl::string_view h = *head;
  if (absl::StartsWith(h, "\x1f\x8b\x08")) {
    return std::make_unique<image::compress::DecompressingReader>(
        std::move(rest), Compression::kGzip);
  }
  if (absl::StartsWith(h, "\x28\xb5\x2f\xfd")) {
    return std::make_unique<image::compress::DecompressingReader>(
        std::move(rest), Compression::kZstd);
  }
  if (absl::StartsWith(h, "BZh")) {
    return std::make_unique<LibarchiveReader>(std::move(rest), false);
  }
  if (h == absl::string_view("\xfd"
                             "7zXZ\x00",
                             6)) {
    return std::make_unique<LibarchiveReader>(std::move(rest), true);
  }
  return rest;
}

absl::StatusOr<bool> IsTarArchive(std::unique_ptr<ByteReader> file) {
  std::unique_ptr<ByteReader> plain = Decompressed(std::move(file));
  absl::StatusOr<std::string> block = ReadUpTo(*plain, 512);
  if (!block.ok()) {
    // Damaged compression: not an archive, as for Docker.
    if (absl::IsDataLoss(block.status())) return false;
    return block.status();
  }
  return IsTarHeader(*block);
}

absl::Status ExtractArchive(std::unique_ptr<ByteReader> file,
                            const RootFs& root, const std::string& dir,
                            const std::string& label) {
  ASSIGN_OR_RETURN(ScopedFd dirfd, root.OpenDir(dir));
  struct stat before;
  if (fstat(dirfd.get(), &before) != 0) {
    return ErrnoStatus(errno, "stat " + ContainerPath(dir));
  }
  // The applier opens its root by path; this one cannot be swapped.
  std::string pinned = absl::StrCat("/proc/self/fd/", dirfd.get());
  std::unique_ptr<ByteReader> plain = Decompressed(std::move(file));
  image::layer::ApplyOptions options;
  options.mode = image::layer::ApplyMode::kMerge;
  absl::Status applied =
      image::layer::ApplyLayer(plain.get(), pinned, options).status();
  RETURN_IF_ERROR(Annotate(applied, absl::StrCat("extracting ", label, " into ",
                                                 ContainerPath(dir))));
  if (fchownat(dirfd.get(), "", before.st_uid, before.st_gid, AT_EMPTY_PATH) !=
          0 ||
      chmod(pinned.c_str(), before.st_mode & 07777) != 0) {
    return ErrnoStatus(errno, "restoring " + ContainerPath(dir));
  }
  return absl::OkStatus();
}

}  // namespace farm::fileops
