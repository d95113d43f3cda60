#include "scheduler/secret_digests.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/str_cat.h"

namespace farm::scheduler {

namespace {

void AppendField(std::string& out, absl::string_view field) {
  absl::StrAppend(&out, field.size(), ":", field);
}

}  // namespace

std::map<std::string, Digest> SecretDigests(
    const std::string& tenant_key,
    const google::protobuf::Map<std::string, std::string>& secrets) {
  std::map<std::string, Digest> out;
  for (const auto& [id, value] : secrets) {
    std::string message;
    AppendField(message, "farm-secret-v1");
    AppendField(message, id);
    AppendField(message, value);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), tenant_key.data(), static_cast<int>(tenant_key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         mac, &length);
    out[id] = Digest::FromRawSha256(
        std::string(reinterpret_cast<const char*>(mac), length));
  }
  return out;
}

Digest AbsentSecretDigest(const std::string& id) {
  std::string message;
  AppendField(message, "farm-secret-absent-v1");
  AppendField(message, id);
  return Digest::Of(message);
}

}  // namespace farm::scheduler
