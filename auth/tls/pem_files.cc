#include "auth/tls/pem_files.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

struct OpenSslDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using UniqueBio = std::unique_ptr<BIO, OpenSslDeleter>;
using UniqueX509 = std::unique_ptr<X509, OpenSslDeleter>;
using UniqueKey = std::unique_ptr<EVP_PKEY, OpenSslDeleter>;

// Refuses encrypted PEM instead of prompting on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    absl::string_view what) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return Annotate(text.status(), absl::StrCat("reading the TLS ", what));
  }
  if (text->size() > INT_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " file ", path, " is too large"));
  }
  return text;
}

UniqueBio BioOf(const std::string& text) {
  return UniqueBio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

absl::StatusOr<UniqueX509> ReadCertificate(const std::string& path,
                                           absl::string_view what) {
  ASSIGN_OR_RETURN(std::string text, ReadPem(path, what));
  UniqueBio bio = BioOf(text);
  UniqueX509 cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " file ", path,
                     " holds no PEM certificate (\"-----BEGIN "
                     "CERTIFICATE-----\")"));
  }
  return cert;
}

}  // namespace

absl::Status CheckCertificateFile(const std::string& path,
                                  const std::string& what) {
  return ReadCertificate(path, what).status();
}

absl::Status CheckKeyPair(const std::string& cert_path,
                          const std::string& key_path) {
  ASSIGN_OR_RETURN(UniqueX509 cert, ReadCertificate(cert_path, "certificate"));
  ASSIGN_OR_RETURN(std::string text, ReadPem(key_path, "private key"));
  UniqueBio bio = BioOf(text);
  UniqueKey key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the private key file ", key_path,
        " holds no unencrypted PEM private key (\"-----BEGIN PRIVATE "
        "KEY-----\")"));
  }
  const bool match = X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!match) {
    return absl::InvalidArgumentError(
        absl::StrCat("the private key in ", key_path,
                     " does not belong to the certificate in ", cert_path));
  }
  return absl::OkStatus();
}

}  // namespace farm::auth
