// The start-up rule that keeps a farm server from being open to the network
// by accident: plaintext with no identities is only allowed on loopback or
// with an explicit --insecure.
#ifndef FARM_AUTH_LISTEN_POLICY_H_
#define FARM_AUTH_LISTEN_POLICY_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace farm::auth {

// True for a gRPC listen address only this machine can reach:
// "127.x.y.z:PORT", "[::1]:PORT" (any spelling of ::1, or
// ::ffff:127.x.y.z), "localhost:PORT", "unix:PATH", "unix-abstract:NAME".
// False for everything else: wildcards ("0.0.0.0:P", "[::]:P"), other IPs,
// host names, an address without a host (":7700") or without a port.
bool IsLoopbackAddress(absl::string_view address);

// OK when `address` is loopback, or the server uses TLS, or identities
// (tokens or client certificates) are configured, or --insecure was given.
// Otherwise kFailedPrecondition with one sentence, prefixed by `program`,
// that says what the risk is and which flags fix it.
absl::Status CheckListenSecurity(absl::string_view program,
                                 absl::string_view address, bool tls,
                                 bool identities, bool insecure_flag);

}  // namespace farm::auth

#endif  // FARM_AUTH_LISTEN_POLICY_H_
