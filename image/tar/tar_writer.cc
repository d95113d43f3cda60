#include "image/tar/tar_writer.h"

#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::tar {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kNameSize = 100;
constexpr size_t kPrefixSize = 155;

// Offsets of the ustar header fields.
struct Field {
  size_t offset, size;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8},
    kSize{124, 12}, kMtime{136, 12}, kChksum{148, 8}, kLinkname{157, 100},
    kMagic{257, 6}, kVersion{263, 2}, kUname{265, 32}, kGname{297, 32},
    kDevMajor{329, 8}, kDevMinor{337, 8}, kPrefix{345, 155};
constexpr size_t kTypeflag = 156;

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == 0) return false;
  }
  return true;
}

// Largest value an octal field of `size` bytes holds (size-1 digits + NUL).
int64_t OctalMax(size_t size) { return (int64_t{1} << (3 * (size - 1))) - 1; }

void PutString(char* block, Field f, absl::string_view s) {
  memcpy(block + f.offset, s.data(), std::min(s.size(), f.size));
}

void PutOctal(char* block, Field f, int64_t v) {
  if (v < 0 || v > OctalMax(f.size)) v = 0;  // carried by a PAX record
  std::string digits(f.size - 1, '0');
  for (size_t i = digits.size(); i > 0 && v > 0; --i, v >>= 3) {
    digits[i - 1] = static_cast<char>('0' + (v & 7));
  }
  memcpy(block + f.offset, digits.data(), digits.size());
  block[f.offset + f.size - 1] = '\0';
}

// GNU base-256 for device numbers, which PAX has no record for.
void PutNumber(char* block, Field f, int64_t v) {
  if (v >= 0 && v <= OctalMax(f.size)) return PutOctal(block, f, v);
  memset(block + f.offset, 0, f.size);
  block[f.offset] = static_cast<char>(0x80);
  for (size_t i = f.size - 1; i > 0 && v > 0; --i, v >>= 8) {
    block[f.offset + i] = static_cast<char>(v & 0xff);
  }
}

void FinishBlock(char* block) {
  memcpy(block + kMagic.offset, "ustar\0", 6);
  memcpy(block + kVersion.offset, "00", 2);
  memset(block + kChksum.offset, ' ', kChksum.size);
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += static_cast<unsigned char>(block[i]);
  PutOctal(block, Field{kChksum.offset, 7}, sum);
  block[kChksum.offset + 7] = ' ';
}

// Splits a long ASCII name into ustar prefix and name, as Go does.
bool SplitUstarPath(absl::string_view name, absl::string_view* prefix,
                    absl::string_view* suffix) {
  size_t length = name.size();
  if (length <= kNameSize || !IsAscii(name)) return false;
  if (length > kPrefixSize + 1) {
    length = kPrefixSize + 1;
  } else if (name[length - 1] == '/') {
    --length;
  }
  size_t i = name.substr(0, length).rfind('/');
  if (i == absl::string_view::npos || i == 0) return false;
  size_t nlen = name.size() - i - 1;
  if (nlen > kNameSize || nlen == 0 || i > kPrefixSize) return false;
  *prefix = name.substr(0, i);
  *suffix = name.substr(i + 1);
  return true;
}

std::string PaxRecord(absl::string_view key, absl::string_view value) {
  // "<len> <key>=<value>\n" where <len> counts its own digits.
  size_t base = key.size() + value.size() + 3;
  size_t len = base + 1;
  while (std::to_string(len).size() + base != len) ++len;
  return absl::StrCat(len, " ", key, "=", value, "\n");
}

std::string PaxHeaderName(absl::string_view name) {
  absl::string_view trimmed = name;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  size_t slash = trimmed.rfind('/');
  std::string dir = slash == absl::string_view::npos
                        ? ""
                        : std::string(trimmed.substr(0, slash + 1));
  std::string base(
      slash == absl::string_view::npos ? trimmed : trimmed.substr(slash + 1));
  return absl::StrCat(dir, "PaxHeaders.0/", base);
}

std::string ToAscii(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x80 && c != 0) out.push_back(c);
  }
  return out;
}

}  // namespace

absl::Status TarWriter::Emit(absl::string_view data) {
  bytes_ += data.size();
  return out_->Write(data);
}

absl::Status TarWriter::PadMember() {
  if (remaining_ != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tar: previous member is missing ", remaining_, " bytes of data"));
  }
  if (padding_ > 0) {
    static const char kZeros[kBlock] = {};
    RETURN_IF_ERROR(Emit(absl::string_view(kZeros, padding_)));
    padding_ = 0;
  }
  return absl::OkStatus();
}

absl::Status TarWriter::WriteSpecial(char typeflag, absl::string_view name,
                                     absl::string_view body) {
  RETURN_IF_ERROR(PadMember());
  char block[kBlock] = {};
  std::string ascii = ToAscii(name);
  if (ascii.size() > kNameSize) ascii.resize(kNameSize);
  PutString(block, kName, ascii);
  PutOctal(block, kMode, 0);
  PutOctal(block, kUid, 0);
  PutOctal(block, kGid, 0);
  PutOctal(block, kSize, body.size());
  PutOctal(block, kMtime, 0);
  block[kTypeflag] = typeflag;
  FinishBlock(block);
  RETURN_IF_ERROR(Emit(absl::string_view(block, kBlock)));
  remaining_ = body.size();
  padding_ = (kBlock - body.size() % kBlock) % kBlock;
  return WriteData(body);
}

absl::Status TarWriter::WriteHeader(const TarEntry& e) {
  RETURN_IF_ERROR(PadMember());
  if (e.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tar: negative size for ", e.name));
  }
  std::map<std::string, std::string> pax;
  absl::string_view prefix, suffix = e.name;
  if (e.name.size() > kNameSize || !IsAscii(e.name)) {
    if (!SplitUstarPath(e.name, &prefix, &suffix)) {
      pax["path"] = e.name;
      suffix = absl::string_view(e.name).substr(
          0, std::min(e.name.size(), kNameSize));
    }
  }
  if (e.linkname.size() > kNameSize || !IsAscii(e.linkname)) {
    pax["linkpath"] = e.linkname;
  }
  if (e.uid < 0 || e.uid > OctalMax(kUid.size)) {
    pax["uid"] = std::to_string(e.uid);
  }
  if (e.gid < 0 || e.gid > OctalMax(kGid.size)) {
    pax["gid"] = std::to_string(e.gid);
  }
  if (e.size > OctalMax(kSize.size)) pax["size"] = std::to_string(e.size);
  if (e.mtime < 0 || e.mtime > OctalMax(kMtime.size)) {
    pax["mtime"] = std::to_string(e.mtime);
  }
  if (e.uname.size() > kUname.size || !IsAscii(e.uname)) {
    pax["uname"] = e.uname;
  }
  if (e.gname.size() > kGname.size || !IsAscii(e.gname)) {
    pax["gname"] = e.gname;
  }
  for (const auto& [key, value] : e.xattrs) {
    pax[absl::StrCat("SCHILY.xattr.", key)] = value;
  }
  if (!pax.empty()) {
    std::string body;
    for (const auto& [key, value] : pax) body += PaxRecord(key, value);
    RETURN_IF_ERROR(WriteSpecial('x', PaxHeaderName(e.name), body));
    RETURN_IF_ERROR(PadMember());
  }

  char block[kBlock] = {};
  PutString(block, kName, pax.count("path") ? ToAscii(suffix) : suffix);
  PutString(block, kPrefix, prefix);
  PutOctal(block, kMode, e.mode & 07777);
  PutOctal(block, kUid, e.uid);
  PutOctal(block, kGid, e.gid);
  PutOctal(block, kSize, e.size);
  PutOctal(block, kMtime, e.mtime);
  block[kTypeflag] = static_cast<char>(e.type);
  PutString(block, kLinkname,
            pax.count("linkpath") ? ToAscii(e.linkname) : e.linkname);
  PutString(block, kUname, pax.count("uname") ? "" : e.uname);
  PutString(block, kGname, pax.count("gname") ? "" : e.gname);
  PutNumber(block, kDevMajor, e.devmajor);
  PutNumber(block, kDevMinor, e.devminor);
  FinishBlock(block);
  RETURN_IF_ERROR(Emit(absl::string_view(block, kBlock)));
  remaining_ = e.size;
  padding_ = (kBlock - e.size % kBlock) % kBlock;
  return absl::OkStatus();
}

absl::Status TarWriter::WriteData(absl::string_view data) {
  if (static_cast<int64_t>(data.size()) > remaining_) {
    return absl::FailedPreconditionError(
        absl::StrCat("tar: ", data.size(), " bytes written to a member with ",
                     remaining_, " bytes left"));
  }
  remaining_ -= data.size();
  return Emit(data);
}

absl::Status TarWriter::Finish() {
  RETURN_IF_ERROR(PadMember());
  static const char kEnd[2 * kBlock] = {};
  return Emit(absl::string_view(kEnd, sizeof(kEnd)));
}

}  // namespace farm::image::tar
