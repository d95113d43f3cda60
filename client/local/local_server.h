// The local farm server: what `farm` commands without --remote talk to.
// The first command on a --root starts it (local_connect.h) as
// `farm --root ROOT serve-local`; it runs the embedded farm (scheduler,
// cache, one worker) and the containers of that root, serves them on the
// unix socket ROOT/run/farm.sock, and exits once idle. One process owns the
// root's stores, so any number of commands can run at once.
#ifndef FARM_CLIENT_LOCAL_LOCAL_SERVER_H_
#define FARM_CLIENT_LOCAL_LOCAL_SERVER_H_

#include <string>

#include "absl/time/time.h"
#include "client/embedded_farm.h"

namespace farm::client::local {

struct LocalServerOptions {
  std::string root;  // --root
  WorkerStarter start_worker;
  // Exits after this long with no call in flight and no running container
  // (FARM_SERVER_IDLE_SECONDS).
  absl::Duration idle_timeout = absl::Minutes(5);
  // Written to once the socket answers, then closed (the starting command
  // waits on it); -1 for none. `serve-local --ready-fd N`.
  int ready_fd = -1;
};

// Serves until idle, until asked to stop (LocalServer.Stop, SIGTERM,
// SIGINT), or until its socket is removed or replaced (its root was
// deleted, or a newer server took over). Returns the process's exit code;
// errors are written to stderr (ROOT/run/server.log).
int ServeLocal(const LocalServerOptions& options);

// FARM_SERVER_IDLE_SECONDS, or the default.
absl::Duration IdleTimeoutFromEnvironment();

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_LOCAL_SERVER_H_
