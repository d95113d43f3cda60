#include "common/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/io.h"
#include "common/status_macros.h"

namespace farm {

namespace {
constexpr absl::string_view kPrefix = "sha256:";

// Each byte's value as a lowercase hex digit, or -1: a table, because the
// stat cache and the blob index parse tens of thousands of digests per build.
struct HexTable {
  int8_t value[256];
  constexpr HexTable() : value() {
    for (int c = 0; c < 256; ++c) value[c] = -1;
    for (int c = '0'; c <= '9'; ++c) value[c] = c - '0';
    for (int c = 'a'; c <= 'f'; ++c) value[c] = c - 'a' + 10;
  }
};
constexpr HexTable kHex;

}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view text) {
  if (!absl::StartsWith(text, kPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported digest \"", text, "\": want sha256:<hex>"));
  }
  absl::StatusOr<Digest> digest = ParseHex(text.substr(kPrefix.size()));
  if (!digest.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed digest \"", text, "\""));
  }
  return digest;
}

absl::StatusOr<Digest> Digest::ParseHex(absl::string_view hex) {
  Digest digest;
  bool ok = hex.size() == 2 * digest.raw_.size();
  int bad = 0;  // any -1 sets the sign bit
  for (size_t i = 0; ok && i < digest.raw_.size(); ++i) {
    int high = kHex.value[static_cast<uint8_t>(hex[2 * i])];
    int low = kHex.value[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= high | low;
    digest.raw_[i] = static_cast<uint8_t>((high & 15) << 4 | (low & 15));
  }
  ok = ok && bad >= 0;
  if (!ok) return absl::InvalidArgumentError("not 64 lowercase hex digits");
  digest.set_ = true;
  return digest;
}

Digest Digest::FromRawSha256(absl::string_view raw32) {
  Digest digest;
  memcpy(digest.raw_.data(), raw32.data(),
         std::min(raw32.size(), digest.raw_.size()));
  digest.set_ = true;
  return digest;
}

void Digest::AppendHex(std::string* out) const {
  if (!set_) return;
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t at = out->size();
  out->resize(at + 2 * raw_.size());
  for (uint8_t byte : raw_) {
    (*out)[at++] = kDigits[byte >> 4];
    (*out)[at++] = kDigits[byte & 15];
  }
}

std::string Digest::hex() const {
  std::string out;
  AppendHex(&out);
  return out;
}

Digest Digest::Of(absl::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::string Digest::ToString() const {
  std::string out;
  out.reserve(kPrefix.size() + 2 * raw_.size());
  out.append(kPrefix.data(), kPrefix.size());
  AppendHex(&out);
  return out;
}

struct Sha256Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256Hasher::Sha256Hasher() : ctx_(new Ctx) {
  ctx_->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(ctx_->md); }

void Sha256Hasher::Update(absl::string_view data) {
  Update(data.data(), data.size());
}

void Sha256Hasher::Update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_->md, data, size);
  bytes_ += size;
}

Digest Sha256Hasher::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  return Digest::FromRawSha256(
      absl::string_view(reinterpret_cast<char*>(out), len));
}

absl::StatusOr<Digest> DigestFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, OpenFileReader(path));
  Sha256Hasher hasher;
  std::string buf(1 << 16, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return hasher.Finish();
    hasher.Update(buf.data(), n);
  }
}

}  // namespace farm
