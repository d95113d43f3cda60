// Up-front checks of the PEM files handed to gRPC's TLS. gRPC's file
// watcher only logs when a file is missing or bad and then fails every
// handshake, so servers and clients check the files first and refuse to
// start with a message that names the file.
#ifndef FARM_AUTH_TLS_PEM_FILES_H_
#define FARM_AUTH_TLS_PEM_FILES_H_

#include <string>

#include "absl/status/status.h"

namespace farm::auth {

// OK when `path` is readable and holds at least one PEM certificate.
// kNotFound / kPermissionDenied naming the path, or kInvalidArgument
// "the certificate file PATH holds no PEM certificate". `what` names the
// file's role in messages ("certificate", "CA certificate").
absl::Status CheckCertificateFile(const std::string& path,
                                  const std::string& what = "certificate");

// OK when both files are readable, `cert_path` holds a PEM certificate,
// `key_path` an unencrypted PEM private key, and the key belongs to the
// (first) certificate. Otherwise kNotFound / kPermissionDenied /
// kInvalidArgument naming the file at fault.
absl::Status CheckKeyPair(const std::string& cert_path,
                          const std::string& key_path);

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_PEM_FILES_H_
