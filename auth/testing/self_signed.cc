#include "auth/testing/self_signed.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

namespace farm::auth::testing {
namespace {

void Check(bool ok) {
  if (!ok) abort();
}

}  // namespace

std::string SelfSignedPem(
    const std::vector<std::pair<std::string, std::string>>& subject) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr);
  X509* cert = X509_new();
  Check(cert != nullptr);
  Check(X509_set_version(cert, 2) == 1);
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  for (const auto& [field, value] : subject) {
    Check(X509_NAME_add_entry_by_txt(
              name, field.c_str(), MBSTRING_UTF8,
              reinterpret_cast<const unsigned char*>(value.data()),
              static_cast<int>(value.size()), -1, 0) == 1);
  }
  Check(X509_set_issuer_name(cert, name) == 1);
  Check(X509_set_pubkey(cert, key) == 1);
  Check(X509_sign(cert, key, EVP_sha256()) > 0);
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(bio, cert) == 1);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, size);
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return pem;
}

}  // namespace farm::auth::testing
