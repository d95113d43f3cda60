#include "image/registry/testing/local_registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/testing/loopback.h"

namespace farm::image::registry::testing {
namespace {

// Finds `name` in PATH (before fork: the child may only make async-signal
// -safe calls).
std::string FindInPath(const std::string& name) {
  const char* path = getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path == nullptr ? "/usr/bin:/bin" : path, ':')) {
    std::string candidate = JoinPath(dir.empty() ? "." : dir, name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

// Starts `argv` with stdout and stderr going to the given files. With
// `die_with_parent` the child gets SIGKILL when the thread that started it
// exits, so a crashed test or benchmark leaves no server behind.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::string& out_path,
                            const std::string& err_path,
                            bool die_with_parent = false) {
  std::string program = FindInPath(argv[0]);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, absl::StrCat("starting ", argv[0]));
  if (pid == 0) {
    if (die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out =
        open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int err =
        open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(err, 2) < 0) {
      _exit(127);
    }
    execv(program.c_str(), args.data());
    _exit(127);
  }
  return pid;
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
  absl::StatusOr<pid_t> pid = Spawn(argv, out, err);
  CommandResult result;
  if (pid.ok()) {
    int status = 0;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadFile(out).value_or("");
    result.err = ReadFile(err).value_or("");
  }
  RemoveAll(dir).IgnoreError();
  if (!pid.ok()) return pid.status();
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
    ASSIGN_OR_RETURN(pid_t pid,
                     Spawn({"docker-registry", "serve", config}, log, log,
                           /*die_with_parent=*/true));
    std::unique_ptr<LocalRegistry> reg(new LocalRegistry(dir, port, pid));
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (CanConnect(port)) return reg;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        reg->pid_ = 0;
        break;
      }
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
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
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
