// A throwaway public-key infrastructure for TLS tests, made with the openssl
// command line in a directory: two CAs, and server and client certificates
// that are good, expired, misnamed or signed by the other CA.
#ifndef FARM_AUTH_TLS_TESTING_TEST_PKI_H_
#define FARM_AUTH_TLS_TESTING_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace farm::auth::testing {

struct CertAndKey {
  std::string cert;  // PEM file paths
  std::string key;
};

struct TestPki {
  std::string ca_a;  // the farm's CA
  std::string ca_b;  // another CA
  // Servers: subjectAltName IP:127.0.0.1, DNS:localhost.
  CertAndKey server_a;        // signed by CA A
  CertAndKey server_b;        // signed by CA B
  CertAndKey server_expired;  // signed by CA A, expired in 2020
  // Signed by CA A for DNS:elsewhere.example only.
  CertAndKey server_wrong_name;
  // Clients: CN=team-a, OU=admin.
  CertAndKey client_admin;     // signed by CA A
  CertAndKey client_other_ca;  // signed by CA B
  CertAndKey client_expired;   // signed by CA A, expired in 2020
};

// Makes every file of a TestPki in `dir` (which must exist). kInternal with
// openssl's output if a command fails.
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir);

}  // namespace farm::auth::testing

#endif  // FARM_AUTH_TLS_TESTING_TEST_PKI_H_
