// The credentials a farm server listens with: plaintext, TLS, or TLS that
// also asks for client certificates. The files are watched, so a rotated
// certificate, key or client CA is picked up without a restart.
#ifndef FARM_AUTH_TLS_SERVER_CREDENTIALS_H_
#define FARM_AUTH_TLS_SERVER_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace farm::auth {

// The --tls-cert, --tls-key and --tls-client-ca files ("" when not given).
struct ServerTlsFiles {
  std::string cert;       // PEM certificate chain, leaf first
  std::string key;        // its unencrypted PEM private key
  std::string client_ca;  // PEM CA certificates that sign client certificates
  bool enabled() const { return !cert.empty(); }
};

// Insecure credentials when `files` is not enabled (and no key or CA is
// given either). Otherwise gRPC's TLS over a file watcher that re-reads the
// files every `refresh` (rounded up to whole seconds). Replace the cert and
// key together (e.g. by renaming a directory or symlink): a handshake that
// falls between the two writes may fail.
//
// With `client_ca`, clients are asked for a certificate, and one they
// present must be valid and signed by that CA or the handshake fails; a
// client without a certificate still connects (a token-only client), so
// the server must authenticate every call (Authenticator) and never take
// "TLS succeeded" to mean "the caller is known".
//
// kInvalidArgument when cert and key are not given together, when a client
// CA is given without them, or when a file holds no PEM certificate / key or
// the key does not belong to the certificate; kNotFound / kPermissionDenied
// for a missing or unreadable file. Every message names the file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files, absl::Duration refresh = absl::Seconds(2));

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_SERVER_CREDENTIALS_H_
