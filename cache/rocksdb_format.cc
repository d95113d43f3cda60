#include "cache/rocksdb_format.h"

#include "absl/strings/str_cat.h"

namespace farm::cache::rocksdb_format {
namespace {

constexpr char kChunkedRecordVersion = 1;
constexpr char kFlaggedRecordVersion = 2;
constexpr size_t kChunkedRecordSize = 1 + 8 + 8 + 4 + 8;
constexpr size_t kFlaggedRecordSize = kChunkedRecordSize + 1;
constexpr uint8_t kInFileFlag = 1;

void PutFixed(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t GetFixed(absl::string_view& in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  in.remove_prefix(bytes);
  return value;
}

void PutBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>(value >> (8 * i)));
  }
}

}  // namespace

uint64_t BlobRecord::ChunkLength(uint64_t index) const {
  uint64_t start = index * chunk_size;
  if (start >= size) return 0;
  return std::min<uint64_t>(chunk_size, size - start);
}

std::string DigestKey(const Digest& digest) {
  return std::string(digest.raw());
}

absl::StatusOr<Digest> ParseDigestKey(absl::string_view key) {
  if (key.size() != 32) {
    return absl::DataLossError(
        absl::StrCat("digest key has ", key.size(), " bytes, not 32"));
  }
  return Digest::FromRawSha256(key);
}

std::string ChunkKey(uint64_t upload_id, uint32_t index) {
  std::string key;
  key.reserve(12);
  PutBigEndian(key, upload_id, 8);
  PutBigEndian(key, index, 4);
  return key;
}

std::string UploadKey(uint64_t upload_id) {
  std::string key;
  PutBigEndian(key, upload_id, 8);
  return key;
}

absl::StatusOr<uint64_t> ParseUploadKey(absl::string_view key) {
  if (key.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("upload key has ", key.size(), " bytes, not 8"));
  }
  uint64_t id = 0;
  for (char c : key) id = (id << 8) | static_cast<unsigned char>(c);
  return id;
}

std::string EncodeBlobRecord(const BlobRecord& record) {
  std::string out;
  out.reserve(kFlaggedRecordSize);
  out.push_back(record.in_file ? kFlaggedRecordVersion : kChunkedRecordVersion);
  PutFixed(out, record.upload_id, 8);
  PutFixed(out, record.size, 8);
  PutFixed(out, record.chunk_size, 4);
  PutFixed(out, static_cast<uint64_t>(record.last_access_unix_seconds), 8);
  if (record.in_file) out.push_back(static_cast<char>(kInFileFlag));
  return out;
}

absl::StatusOr<BlobRecord> DecodeBlobRecord(absl::string_view data) {
  bool chunked =
      data.size() == kChunkedRecordSize && data[0] == kChunkedRecordVersion;
  bool flagged =
      data.size() == kFlaggedRecordSize && data[0] == kFlaggedRecordVersion;
  if (!chunked && !flagged) {
    return absl::DataLossError(
        absl::StrCat("blob record of ", data.size(), " bytes is not a version ",
                     int{kChunkedRecordVersion}, " or ",
                     int{kFlaggedRecordVersion}, " record"));
  }
  data.remove_prefix(1);
  BlobRecord record;
  record.upload_id = GetFixed(data, 8);
  record.size = GetFixed(data, 8);
  record.chunk_size = static_cast<uint32_t>(GetFixed(data, 4));
  record.last_access_unix_seconds = static_cast<int64_t>(GetFixed(data, 8));
  if (flagged) {
    uint8_t flags = static_cast<uint8_t>(data[0]);
    if ((flags & ~kInFileFlag) != 0) {
      return absl::DataLossError(
          absl::StrCat("blob record has unknown flags ", int{flags}));
    }
    record.in_file = (flags & kInFileFlag) != 0;
  }
  if (!record.in_file && record.chunk_size == 0 && record.size != 0) {
    return absl::DataLossError("blob record has data but no chunk size");
  }
  return record;
}

}  // namespace farm::cache::rocksdb_format
