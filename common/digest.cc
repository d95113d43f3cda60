#include "common/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"

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
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
  ScopedFd closer(fd);
  Sha256Hasher hasher;
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("reading ", path));
    }
    if (n == 0) break;
    hasher.Update(buf, n);
  }
  return hasher.Finish();
}

}  // namespace farm
