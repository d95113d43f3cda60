#include "auth/certificate_identity.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

#include "absl/algorithm/container.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

struct OpenSslDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(X509* cert) const { X509_free(cert); }
};

// Refuses encrypted PEM instead of prompting on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

// Every value of `nid` in `name`, as UTF-8.
absl::StatusOr<std::vector<std::string>> EntriesOf(X509_NAME* name, int nid,
                                                   absl::string_view what) {
  std::vector<std::string> values;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int size = ASN1_STRING_to_UTF8(&utf8, data);
    if (size < 0) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "the certificate's subject has an ", what, " that is not text"));
    }
    values.emplace_back(reinterpret_cast<char*>(utf8), size);
    OPENSSL_free(utf8);
  }
  return values;
}

}  // namespace

absl::StatusOr<CertificateSubject> ParseCertificateSubject(
    absl::string_view pem) {
  if (pem.size() > INT_MAX) {
    return absl::InvalidArgumentError("the client certificate is too large");
  }
  std::unique_ptr<BIO, OpenSslDeleter> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, OpenSslDeleter> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr)
          : nullptr);
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the client certificate is not a PEM certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  CertificateSubject subject;
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   EntriesOf(name, NID_commonName, "common name (CN)"));
  if (names.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the client certificate's subject has ", names.size(),
                     " common names (CN); farm needs exactly one, the tenant"));
  }
  if (!names.empty()) subject.common_name = std::move(names[0]);
  ASSIGN_OR_RETURN(
      subject.organizational_units,
      EntriesOf(name, NID_organizationalUnitName, "organizational unit (OU)"));
  return subject;
}

absl::StatusOr<Identity> IdentityFromCertificate(
    const CertificateSubject& subject) {
  if (!IsValidTenant(subject.common_name)) {
    return absl::UnauthenticatedError(
        subject.common_name.empty()
            ? "the client certificate has no common name (CN); its CN must "
              "be the tenant's name"
            : absl::StrCat(
                  "the client certificate's common name (CN) \"",
                  absl::CHexEscape(subject.common_name.substr(0, 100)),
                  "\" is not a valid tenant name: 1 to 63 letters, digits, "
                  "'.', '_' or '-', starting with a letter or digit"));
  }
  auto has_unit = [&](absl::string_view unit) {
    return absl::c_linear_search(subject.organizational_units, unit);
  };
  Role role = Role::kClient;
  if (has_unit("admin")) {
    role = Role::kAdmin;
  } else if (has_unit("worker")) {
    role = Role::kWorker;
  }
  return Identity{subject.common_name, role,
                  absl::StrCat("certificate CN=", subject.common_name)};
}

}  // namespace farm::auth
