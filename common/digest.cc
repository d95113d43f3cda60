#include "common/digest.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/io.h"
#include "common/status_macros.h"

namespace farm {

namespace {
constexpr absl::string_view kPrefix = "sha256:";

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view text) {
  if (!absl::StartsWith(text, kPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported digest \"", text, "\": want sha256:<hex>"));
  }
  absl::string_view hex = text.substr(kPrefix.size());
  if (hex.size() != 64 || !IsLowerHex(hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed digest \"", text, "\""));
  }
  return Digest(std::string(hex));
}

Digest Digest::FromRawSha256(absl::string_view raw32) {
  return Digest(absl::BytesToHexString(raw32));
}

Digest Digest::Of(absl::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::string Digest::ToString() const { return absl::StrCat(kPrefix, hex_); }

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
