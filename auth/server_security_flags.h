// The command-line flags of a server's security, defined once for
// farm-scheduler and farm-cache: --tls-cert, --tls-key, --tls-client-ca,
// --tokens and --insecure (Abseil flags; see common/command_flags.h for
// the dashed spelling).
#ifndef FARM_AUTH_SERVER_SECURITY_FLAGS_H_
#define FARM_AUTH_SERVER_SECURITY_FLAGS_H_

#include "auth/server_security.h"

namespace farm::auth {

// What the flags say, after absl::ParseCommandLine.
ServerSecurityFlags ServerSecurityFlagsFromCommandLine();

}  // namespace farm::auth

#endif  // FARM_AUTH_SERVER_SECURITY_FLAGS_H_
