#include "auth/tls/testing/test_pki.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::auth::testing {
namespace {

constexpr char kConfig[] = R"([ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ wrong_name_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.example
[ client_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ ca_a ]
database = ca_a.db/index.txt
new_certs_dir = ca_a.db
certificate = ca_a.pem
private_key = ca_a.key
rand_serial = yes
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ ca_b ]
database = ca_b.db/index.txt
new_certs_dir = ca_b.db
certificate = ca_b.pem
private_key = ca_b.key
rand_serial = yes
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
organizationalUnitName = optional
)";

constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
// Long enough for any test run, short enough to look like a real one.
constexpr char kValid[] = "-days 30";
constexpr char kExpired[] =
    "-startdate 20200101000000Z -enddate 20200201000000Z";

class Maker {
 public:
  explicit Maker(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Run(const std::string& args) {
    const std::string command = absl::StrCat("cd '", dir_, "' && openssl ",
                                             args, " >>openssl.log 2>&1");
    if (std::system(command.c_str()) != 0) {
      return absl::InternalError(absl::StrCat(
          "`openssl ", args,
          "` failed: ", ReadFile(JoinPath(dir_, "openssl.log")).value_or("")));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Ca(const std::string& name) {
    RETURN_IF_ERROR(MakeDirs(JoinPath(dir_, name + ".db")));
    RETURN_IF_ERROR(WriteFile(JoinPath(dir_, name + ".db/index.txt"), ""));
    RETURN_IF_ERROR(Run(absl::StrCat(
        "req -x509 -config pki.cnf ", kNewKey, " -keyout ", name, ".key -out ",
        name, ".pem -days 3650 -extensions ca_ext -subj '/CN=farm test ", name,
        "'")));
    return JoinPath(dir_, name + ".pem");
  }

  absl::StatusOr<CertAndKey> Leaf(const std::string& name,
                                  const std::string& subject,
                                  const std::string& ca,
                                  const std::string& extensions,
                                  const std::string& dates) {
    RETURN_IF_ERROR(Run(absl::StrCat("req -new -config pki.cnf ", kNewKey,
                                     " -keyout ", name, ".key -out ", name,
                                     ".csr -subj '", subject, "'")));
    RETURN_IF_ERROR(Run(absl::StrCat("ca -batch -config pki.cnf -name ", ca,
                                     " -extensions ", extensions, " ", dates,
                                     " -preserveDN -notext -in ", name,
                                     ".csr -out ", name, ".pem")));
    return CertAndKey{JoinPath(dir_, name + ".pem"),
                      JoinPath(dir_, name + ".key")};
  }

 private:
  std::string dir_;
};

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir) {
  RETURN_IF_ERROR(WriteFile(JoinPath(dir, "pki.cnf"), kConfig));
  Maker make(dir);
  TestPki pki;
  ASSIGN_OR_RETURN(pki.ca_a, make.Ca("ca_a"));
  ASSIGN_OR_RETURN(pki.ca_b, make.Ca("ca_b"));
  const std::string server = "/CN=farm server";
  const std::string client = "/CN=team-a/OU=admin";
  ASSIGN_OR_RETURN(pki.server_a,
                   make.Leaf("server_a", server, "ca_a", "server_ext", kValid));
  ASSIGN_OR_RETURN(pki.server_b,
                   make.Leaf("server_b", server, "ca_b", "server_ext", kValid));
  ASSIGN_OR_RETURN(
      pki.server_expired,
      make.Leaf("server_expired", server, "ca_a", "server_ext", kExpired));
  ASSIGN_OR_RETURN(
      pki.server_wrong_name,
      make.Leaf("server_wrong_name", server, "ca_a", "wrong_name_ext", kValid));
  ASSIGN_OR_RETURN(pki.client_admin, make.Leaf("client_admin", client, "ca_a",
                                               "client_ext", kValid));
  ASSIGN_OR_RETURN(
      pki.client_other_ca,
      make.Leaf("client_other_ca", client, "ca_b", "client_ext", kValid));
  ASSIGN_OR_RETURN(
      pki.client_expired,
      make.Leaf("client_expired", client, "ca_a", "client_ext", kExpired));
  return pki;
}

}  // namespace farm::auth::testing
