#include "image/tar/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace farm::image::tar {
namespace {

constexpr size_t kBufferSize = 1 << 20;

}  // namespace

TarReader::TarReader(ByteReader* in, TarReaderOptions options)
    : in_(in), options_(options), buffer_(new char[kBufferSize]) {}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

long TarReader::ReadCallback(struct archive* a, void* self, const void** buf) {
  TarReader* r = static_cast<TarReader*>(self);
  absl::StatusOr<size_t> n = r->in_->Read(r->buffer_.get(), kBufferSize);
  if (!n.ok()) {
    r->in_status_ = n.status();
    archive_set_error(a, EIO, "%s", std::string(n.status().message()).c_str());
    return -1;
  }
  *buf = r->buffer_.get();
  return static_cast<long>(*n);
}

absl::Status TarReader::Error(absl::string_view context) {
  if (!in_status_.ok()) {
    sticky_ = in_status_;
    return sticky_;
  }
  const char* msg = archive_error_string(archive_);
  std::string text = msg != nullptr ? msg : "unknown error";
  std::string full = absl::StrCat("tar: ", context, ": ", text);
  if (absl::StrContains(text, "too large")) {
    sticky_ = absl::ResourceExhaustedError(full);
  } else {
    sticky_ = absl::DataLossError(full);
  }
  return sticky_;
}

absl::StatusOr<bool> TarReader::Next(TarEntry* entry) {
  if (!sticky_.ok()) return sticky_;
  if (!opened_) {
    opened_ = true;
    archive_ = archive_read_new();
    if (archive_ == nullptr) return absl::InternalError("tar: out of memory");
    archive_read_support_format_tar(archive_);
    if (archive_read_open(archive_, this, nullptr, &TarReader::ReadCallback,
                          nullptr) != ARCHIVE_OK) {
      return Error("opening archive");
    }
  }
  struct archive_entry* e = nullptr;
  int r = archive_read_next_header(archive_, &e);
  std::string where =
      index_ == 0 ? std::string("first member")
                  : absl::StrCat("member after #", index_, " (", name_, ")");
  if (r == ARCHIVE_EOF) {
    if (!in_status_.ok()) return Error(where);
    return false;
  }
  // Warnings (e.g. a name that is not valid in the C locale) keep the raw
  // bytes, which is what a layer needs.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Error(where);
  ++index_;
  const char* path = archive_entry_pathname(e);
  name_ = path != nullptr ? path : "";
  std::string label = absl::StrCat("member #", index_, " (", name_, ")");

  int64_t header_bytes = archive_filter_bytes(archive_, 0) -
                         archive_read_header_position(archive_);
  if (header_bytes > static_cast<int64_t>(options_.max_header_bytes)) {
    sticky_ = absl::ResourceExhaustedError(absl::StrCat(
        "tar: ", label, ": headers take ", header_bytes,
        " bytes, more than the limit of ", options_.max_header_bytes));
    return sticky_;
  }

  *entry = TarEntry();
  entry->name = name_;
  const char* hardlink = archive_entry_hardlink(e);
  const char* symlink = archive_entry_symlink(e);
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      entry->type = TarType::kRegular;
      break;
    case AE_IFLNK:
      entry->type = TarType::kSymlink;
      break;
    case AE_IFDIR:
      entry->type = TarType::kDirectory;
      break;
    case AE_IFCHR:
      entry->type = TarType::kCharDevice;
      break;
    case AE_IFBLK:
      entry->type = TarType::kBlockDevice;
      break;
    case AE_IFIFO:
      entry->type = TarType::kFifo;
      break;
    default:
      if (hardlink == nullptr) {
        sticky_ = absl::UnimplementedError(
            absl::StrCat("tar: ", label, ": unsupported member type (mode ",
                         archive_entry_filetype(e), ")"));
        return sticky_;
      }
  }
  if (hardlink != nullptr) {
    entry->type = TarType::kHardlink;
    entry->linkname = hardlink;
  } else if (symlink != nullptr) {
    entry->linkname = symlink;
  }
  entry->mode = archive_entry_perm(e) & 07777;
  entry->uid = archive_entry_uid(e);
  entry->gid = archive_entry_gid(e);
  const char* uname = archive_entry_uname(e);
  const char* gname = archive_entry_gname(e);
  if (uname != nullptr) entry->uname = uname;
  if (gname != nullptr) entry->gname = gname;
  entry->size = entry->type == TarType::kRegular ? archive_entry_size(e) : 0;
  entry->mtime = archive_entry_mtime(e);
  entry->devmajor = archive_entry_rdevmajor(e);
  entry->devminor = archive_entry_rdevminor(e);
  archive_entry_xattr_reset(e);
  const char* xname;
  const void* xvalue;
  size_t xsize;
  while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
    entry->xattrs[xname] = std::string(static_cast<const char*>(xvalue), xsize);
  }
  return true;
}

absl::StatusOr<size_t> TarReader::Read(char* buf, size_t size) {
  if (!sticky_.ok()) return sticky_;
  if (archive_ == nullptr || index_ == 0) return size_t{0};
  la_ssize_t n = archive_read_data(archive_, buf, size);
  if (n < 0) {
    return Error(absl::StrCat("member #", index_, " (", name_, ")"));
  }
  return static_cast<size_t>(n);
}

}  // namespace farm::image::tar
