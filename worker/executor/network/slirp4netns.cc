#include "worker/executor/network/slirp4netns.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/unix_socket_path.h"

namespace farm::executor::network {
namespace {

constexpr char kInstallHint[] =
    "RUN's private network (the default; --network=none and --network=host "
    "do without) needs slirp4netns 0.4 or later: apt-get install slirp4netns";

int64_t MonotonicMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What slirp4netns wrote, at most its last 2 KiB, for an error message.
std::string LogTail(const std::string& log_path) {
  absl::StatusOr<std::string> log = ReadFile(log_path);
  if (!log.ok()) return "";
  std::string tail =
      log->size() > 2048 ? log->substr(log->size() - 2048) : std::move(*log);
  return std::string(absl::StripAsciiWhitespace(tail));
}

// Waits for slirp4netns's byte on `ready_fd`: OK once it came, kUnavailable
// when slirp4netns exited first or `timeout` passed.
absl::Status AwaitReady(int ready_fd, absl::Duration timeout) {
  const int64_t deadline =
      MonotonicMillis() + absl::ToInt64Milliseconds(timeout);
  while (true) {
    int64_t left = deadline - MonotonicMillis();
    if (left <= 0) {
      return absl::UnavailableError(
          absl::StrCat("slirp4netns did not configure the network in ",
                       absl::FormatDuration(timeout)));
    }
    pollfd fd = {ready_fd, POLLIN, 0};
    int n = poll(&fd, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
    if (n <= 0) continue;
    char byte = 0;
    ssize_t got = read(ready_fd, &byte, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got == 1) return absl::OkStatus();
    return absl::UnavailableError("slirp4netns exited");
  }
}

}  // namespace

std::vector<std::string> Slirp4netnsArgv(const std::string& binary,
                                         const std::string& netns_path,
                                         int ready_fd, int exit_fd,
                                         const std::string& api_socket) {
  std::vector<std::string> argv = {binary,
                                   "--configure",
                                   "--mtu=65520",
                                   "--disable-host-loopback",
                                   "--enable-sandbox",
                                   "--enable-seccomp",
                                   "--netns-type=path",
                                   absl::StrCat("--ready-fd=", ready_fd),
                                   absl::StrCat("--exit-fd=", exit_fd),
                                   netns_path,
                                   kInterface};
  if (!api_socket.empty()) {
    argv.insert(argv.begin() + 1, absl::StrCat("--api-socket=", api_socket));
  }
  return argv;
}

absl::StatusOr<std::unique_ptr<Slirp4netns>> Slirp4netns::Start(
    const Options& options, const std::string& netns_path,
    const std::string& log_path, const std::string& api_socket) {
  // A long path reaches slirp4netns through its directory's descriptor.
  std::optional<UnixSocketPath> api;
  if (!api_socket.empty()) {
    absl::StatusOr<UnixSocketPath> path = UnixSocketPath::For(api_socket);
    if (!path.ok()) return path.status();
    api.emplace(*std::move(path));
  }
  ScopedFd log(open(log_path.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (log.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("creating ", log_path));
  }
  ASSIGN_OR_RETURN(Pipe ready, MakePipe());
  ASSIGN_OR_RETURN(Pipe exit, MakePipe());
  Subprocess::Stdio stdio;
  stdio.out = log.get();
  stdio.err = log.get();
  stdio.inherit = {ready.write.get(), exit.read.get()};
  if (api && api->dir_fd() >= 0) stdio.inherit.push_back(api->dir_fd());
  absl::StatusOr<Subprocess> process = Subprocess::Spawn(
      Slirp4netnsArgv(options.binary, netns_path, ready.write.get(),
                      exit.read.get(), api ? api->address() : ""),
      stdio);
  if (absl::IsNotFound(process.status())) {
    return absl::UnavailableError(absl::StrCat(
        "slirp4netns not found (", options.binary, "). ", kInstallHint));
  }
  if (!process.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot start slirp4netns: ", process.status().message()));
  }
  // Only slirp4netns holds these ends now: its exit closes `ready`.
  ready.write = ScopedFd();
  exit.read = ScopedFd();
  absl::Status ready_status =
      AwaitReady(ready.read.get(), options.ready_timeout);
  if (!ready_status.ok()) {
    process->Kill(SIGKILL);
    absl::StatusOr<int> code = process->Wait();
    std::string output = LogTail(log_path);
    return absl::UnavailableError(
        absl::StrCat(ready_status.message(),
                     code.ok() ? absl::StrCat(" (exit code ", *code, ")") : "",
                     output.empty() ? "" : ": ", output, ". ", kInstallHint));
  }
  return std::unique_ptr<Slirp4netns>(
      new Slirp4netns(*std::move(process), std::move(exit.write)));
}

}  // namespace farm::executor::network
