// Several schedulers run active/passive: only the leader listens. A target
// "HOST:PORT,HOST:PORT,..." names them all; gRPC dials it as one static
// address list with round_robin, which keeps dialling every address that
// refuses and sends calls only over connected ones: the leader's. (gRPC
// 1.51's pick_first does not dial an address again once it has refused,
// so it never finds a standby that took over.)
#ifndef FARM_AUTH_TLS_TARGET_LIST_H_
#define FARM_AUTH_TLS_TARGET_LIST_H_

#include <grpcpp/support/channel_arguments.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::auth {

// Whether `target` names several servers (holds a comma).
bool IsTargetList(absl::string_view target);

// What gRPC should dial for `target`. A single address comes back as it is
// and `args` is left alone. A list has each HOST:PORT resolved now, once
// (getaddrinfo; a later DNS change is not followed), and becomes
// "ipv4:A:P,B:P,..." or, when any address is IPv6, "ipv6:[A]:P,..." with
// IPv4 addresses written as [::ffff:A], which gRPC reaches over IPv4. `args`
// then gets round_robin, reconnects 200 ms to 2 s apart and connect attempts
// of at most 5 s, so a new leader is found within seconds, and the first
// entry as the default authority: over TLS every server's certificate must
// name the first entry's host.
// kInvalidArgument for an entry that is not HOST:PORT (IPv6 in brackets,
// "[::1]:7700") or a host that does not exist; kUnavailable when the
// resolver fails for now. Messages name the entry.
absl::StatusOr<std::string> ResolveDialTarget(absl::string_view target,
                                              grpc::ChannelArguments* args);

}  // namespace farm::auth

#endif  // FARM_AUTH_TLS_TARGET_LIST_H_
