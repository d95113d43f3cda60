// Where the local farm server of a --root lives, and what it must agree on
// with its clients.
#ifndef FARM_CLIENT_LOCAL_LOCAL_PATHS_H_
#define FARM_CLIENT_LOCAL_LOCAL_PATHS_H_

#include <cstdint>
#include <string>

#include "common/fs.h"

namespace farm::client::local {

// ROOT/run: the server's directory, owner only (0700).
inline std::string RunDir(const std::string& root) {
  return JoinPath(root, "run");
}
inline std::string SocketPath(const std::string& root) {
  return JoinPath(RunDir(root), "farm.sock");
}
inline std::string PidPath(const std::string& root) {
  return JoinPath(RunDir(root), "server.pid");
}
inline std::string ServerLogPath(const std::string& root) {
  return JoinPath(RunDir(root), "server.log");
}
inline std::string StartLockPath(const std::string& root) {
  return JoinPath(RunDir(root), "start.lock");
}

// What a server is started with that a client must share, as one string:
// the environment the embedded farm reads (FARM_CACHE_MAX_BYTES,
// FARM_ALLOW_FETCH_HOSTS) and the farm binary (path and change time). A
// client that differs has the server replaced, as Bazel replaces a server
// started with other options.
std::string ServerSettings();

// Whether process `pid` runs: it exists and is not a zombie (a server
// whose parent died is reaped by whoever adopted it, maybe late).
bool ProcessAlive(int64_t pid);

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_LOCAL_PATHS_H_
