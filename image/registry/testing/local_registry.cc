#include "image/registry/testing/local_registry.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/testing/loopback.h"

namespace farm::image::registry::testing {
namespace {

// Starts `argv` with stdout and stderr appended to the given files. With
// `die_with_parent` it runs under `setpriv --pdeathsig KILL`: the child gets
// SIGKILL when the thread that started it exits, so a crashed test or
// benchmark leaves no server behind.
absl::StatusOr<Subprocess> Spawn(std::vector<std::string> argv,
                                 const std::string& out_path,
                                 const std::string& err_path,
                                 bool die_with_parent = false) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  ScopedFd out(open(out_path.c_str(), kFlags, 0644));
  if (out.get() < 0) return ErrnoStatus(errno, out_path);
  ScopedFd err(open(err_path.c_str(), kFlags, 0644));
  if (err.get() < 0) return ErrnoStatus(errno, err_path);
  if (die_with_parent) {
    argv.insert(argv.begin(), {"setpriv", "--pdeathsig", "KILL", "--"});
  }
  Subprocess::Stdio stdio;
  stdio.out = out.get();
  stdio.err = err.get();
  return Subprocess::Spawn(argv, stdio);
}

// Whether `child` has exited, without waiting.
bool Exited(const Subprocess& child) {
  pollfd fd = {child.pidfd(), POLLIN, 0};
  return poll(&fd, 1, 0) > 0;
}

std::string Config(const std::string& dir, int port, bool htpasswd) {
  std::string c = absl::StrCat(
      "version: 0.1\n"
      "log:\n"
      "  level: info\n"
      "  accesslog:\n"
      "    disabled: false\n"
      "storage:\n"
      "  filesystem:\n"
      "    rootdirectory: ",
      dir, "/storage\n",
      "  delete:\n"
      "    enabled: true\n"
      "http:\n"
      "  addr: 127.0.0.1:",
      port,
      "\n"
      "  secret: farm-test-secret\n");
  if (htpasswd) {
    absl::StrAppend(&c,
                    "auth:\n"
                    "  htpasswd:\n"
                    "    realm: farm-test\n"
                    "    path: ",
                    dir, "/htpasswd\n");
  }
  return c;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(std::string dir, MakeTempDir("cmd"));
  std::string out = dir + "/out", err = dir + "/err";
  absl::StatusOr<Subprocess> child = Spawn(argv, out, err);
  absl::StatusOr<int> exit_code = child.ok() ? child->Wait() : child.status();
  CommandResult result;
  if (exit_code.ok()) {
    result.exit_code = *exit_code;
    result.out = ReadFile(out).value_or("");
    result.err = ReadFile(err).value_or("");
  }
  RemoveAll(dir).IgnoreError();
  if (!exit_code.ok()) return exit_code.status();
  return result;
}

absl::StatusOr<std::unique_ptr<LocalRegistry>> LocalRegistry::Start(
    const LocalRegistryOptions& options) {
  ASSIGN_OR_RETURN(std::string dir, MakeTempDir("registry"));
  for (size_t i = 0; i < options.users.size(); ++i) {
    const Credential& u = options.users[i];
    std::vector<std::string> argv = {"htpasswd", "-B", "-C", "4", "-b"};
    if (i == 0) argv.push_back("-c");
    for (const std::string& a : {dir + "/htpasswd", u.username, u.password}) {
      argv.push_back(a);
    }
    ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv));
    if (r.exit_code != 0) {
      return absl::InternalError(absl::StrCat("htpasswd failed: ", r.err));
    }
  }
  std::string log = dir + "/registry.log";
  std::string last_log;
  // A port picked free can be taken before the registry binds it; retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(int port, PickFreePort());
    std::string config = dir + "/config.yml";
    RETURN_IF_ERROR(
        WriteFile(config, Config(dir, port, !options.users.empty())));
    ASSIGN_OR_RETURN(Subprocess child,
                     Spawn({"docker-registry", "serve", config}, log, log,
                           /*die_with_parent=*/true));
    std::unique_ptr<LocalRegistry> reg(
        new LocalRegistry(dir, port, std::move(child)));
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (CanConnect(port)) return reg;
      if (Exited(*reg->process_)) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    last_log = reg->ReadLog();
    reg->dir_.clear();  // keep the dir (and its log) for the next attempt
  }
  RemoveAll(dir).IgnoreError();
  return absl::UnavailableError(
      absl::StrCat("docker-registry did not start; its log:\n", last_log));
}

LocalRegistry::~LocalRegistry() {
  if (process_.has_value()) {
    process_->Kill(SIGTERM);
    // Five seconds to exit cleanly; the Subprocess kills it after that.
    pollfd exited = {process_->pidfd(), POLLIN, 0};
    if (poll(&exited, 1, 5000) > 0) process_->Wait().IgnoreError();
    process_.reset();
  }
  if (!dir_.empty()) RemoveAll(dir_).IgnoreError();
}

std::string LocalRegistry::host() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string LocalRegistry::BlobDataPath(const Digest& digest) const {
  return absl::StrCat(dir_, "/storage/docker/registry/v2/blobs/sha256/",
                      digest.hex().substr(0, 2), "/", digest.hex(), "/data");
}

std::string LocalRegistry::ReadLog() const {
  return ReadFile(dir_ + "/registry.log").value_or("");
}

}  // namespace farm::image::registry::testing
