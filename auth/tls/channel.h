// Dialling a farm server as a client, worker or admin: TLS when asked for
// (server verified against a CA, optionally with a client certificate), and
// a bearer token on every call when one is given.
#ifndef FARM_AUTH_TLS_CHANNEL_H_
#define FARM_AUTH_TLS_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace farm::auth {

// The client's --tls-ca, --tls-cert, --tls-key and --token ("" when not
// given).
struct ClientSecurity {
  std::string tls_ca;    // PEM CA that signs the server; "": system roots
  std::string tls_cert;  // PEM client certificate, for mutual TLS
  std::string tls_key;   // its unencrypted PEM private key
  std::string token;     // sent as "authorization: Bearer TOKEN"
  bool tls() const { return !tls_ca.empty() || !tls_cert.empty(); }
};

// Insecure credentials when !security.tls(). Otherwise gRPC's TLS: the
// server's certificate must chain to `tls_ca` (or the system roots) and
// name the host dialled (an IP SAN for "127.0.0.1:PORT"); the client
// certificate and key, when given, are presented. The files are watched and
// re-read every few seconds, so long-lived clients (workers) follow
// rotation. The token plays no part here.
// kInvalidArgument when tls_cert and tls_key are not given together, or a
// file holds no PEM certificate / key or the key does not belong to the
// certificate; kNotFound / kPermissionDenied for a missing or unreadable
// file. Every message names the file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientSecurity& security);

// A channel to `target` with MakeChannelCredentials(security) and `args`,
// which adds "authorization: Bearer TOKEN" to every call when `token` is
// not empty, over TLS and plaintext alike: only send a token in plaintext
// to a loopback address. Fails as MakeChannelCredentials does, or
// kInvalidArgument for a token that is not 1 to 4096 bytes of visible
// ASCII. Connects lazily, on the first call.
//
// `target` may list active/passive schedulers, "host-a:7700,host-b:7700":
// the channel follows whichever listens (auth/tls/target_list.h). Their
// names are resolved here, once, failing as ResolveDialTarget does. Over
// TLS every scheduler's certificate must name the FIRST entry's host (an
// IP SAN when it is an IP), whichever scheduler answers.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialFarm(
    const std::string& target, const ClientSecurity& security,
    grpc::ChannelArguments args);

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_CHANNEL_H_
