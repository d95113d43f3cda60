// Value checks Docker makes only after variables are substituted: STOPSIGNAL
// names and EXPOSE port specs. Expand applies them.
#ifndef FARM_DOCKERFILE_VALIDATE_H_
#define FARM_DOCKERFILE_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// A non-zero number, or a Linux signal name with or without "SIG" in any
// case (SIGTERM, kill, RTMIN+3). kInvalidArgument "invalid signal: X".
absl::Status ValidateStopSignal(absl::string_view signal);

// `[ip:][hostPort:]port[-port][/proto]` with ports 0-65535 and proto tcp, udp
// or sctp. kInvalidArgument "invalid containerPort: X", "invalid proto: X",
// "invalid range specified for container port: X".
absl::Status ValidatePortSpec(absl::string_view spec);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_VALIDATE_H_
