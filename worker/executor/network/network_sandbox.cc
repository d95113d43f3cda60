#include "worker/executor/network/network_sandbox.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::executor::network {
namespace {

// Creates `path` already locked (flock, exclusive): it is made unnamed with
// O_TMPFILE and linked in only once locked, so RemoveStale never sees the
// lock of a live sandbox free. kAlreadyExists when `path` exists.
absl::StatusOr<ScopedFd> CreateLockedFile(const std::string& dir,
                                          const std::string& path) {
  ScopedFd fd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return ErrnoStatus(errno, absl::StrCat("O_TMPFILE in ", dir));
  if (flock(fd.get(), LOCK_EX) != 0) return ErrnoStatus(errno, "flock");
  const std::string self = absl::StrCat("/proc/self/fd/", fd.get());
  if (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(),
             AT_SYMLINK_FOLLOW) != 0) {
    return ErrnoStatus(errno, absl::StrCat("creating ", path));
  }
  return fd;
}

// Unmounts (lazily, so a holder cannot make it fail) and deletes a
// namespace file that farm made before namespaces were held by descriptors.
// A file never mounted or a missing path is fine.
absl::Status RemoveLegacyNamespaceFile(const std::string& path) {
  // EINVAL: not a mount point (never bound, or already unmounted).
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 &&
      errno != EINVAL && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unmounting ", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing ", path));
  }
  return absl::OkStatus();
}

// Removes base.log, base.api and a legacy base.net; missing ones are fine.
absl::Status RemoveSandboxFiles(const std::string& base) {
  RETURN_IF_ERROR(RemoveLegacyNamespaceFile(base + ".net"));
  for (const std::string& file : {base + ".log", base + ".api"}) {
    if (unlink(file.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("removing ", file));
    }
  }
  return absl::OkStatus();
}

absl::Status RemoveLock(const std::string& base) {
  const std::string lock = base + ".lock";
  if (unlink(lock.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing ", lock));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetworkSandbox>> NetworkSandbox::Open(
    const Options& options, const std::string& name) {
  auto fail = [](const absl::Status& status) {
    if (absl::IsUnavailable(status)) return status;
    return absl::UnavailableError(
        absl::StrCat("private network: ", status.message()));
  };
  absl::Status made = MakeDirs(options.dir, 0700);
  if (!made.ok()) return fail(made);
  const std::string base = JoinPath(options.dir, name);
  absl::StatusOr<ScopedFd> lock = CreateLockedFile(options.dir, base + ".lock");
  if (!lock.ok()) return fail(lock.status());
  // From here on the destructor undoes whatever was made.
  std::unique_ptr<NetworkSandbox> sandbox(
      new NetworkSandbox(base, *std::move(lock)));
  absl::StatusOr<NetworkNamespace> netns = NetworkNamespace::Create();
  if (!netns.ok()) return fail(netns.status());
  sandbox->namespace_.emplace(*std::move(netns));
  absl::StatusOr<std::unique_ptr<Slirp4netns>> slirp =
      Slirp4netns::Start(options.slirp4netns, sandbox->namespace_->path(),
                         base + ".log", base + ".api");
  if (!slirp.ok()) return fail(slirp.status());
  sandbox->slirp4netns_ = *std::move(slirp);
  return sandbox;
}

NetworkSandbox::~NetworkSandbox() {
  slirp4netns_.reset();
  if (namespace_) namespace_->Close();
  absl::Status status = RemoveSandboxFiles(base_);
  // A lock left behind lets RemoveStale try again later.
  if (status.ok()) status = RemoveLock(base_);
  if (!status.ok()) {
    FARM_LOG(ERROR) << "removing network sandbox: " << status;
  }
}

absl::Status NetworkSandbox::RemoveStale(const std::string& dir) {
  if (!IsDirectory(dir)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    absl::string_view base_name = name;
    if (absl::ConsumeSuffix(&base_name, ".lock")) {
      const std::string base = JoinPath(dir, base_name);
      ScopedFd lock(open((base + ".lock").c_str(), O_RDONLY | O_CLOEXEC));
      if (lock.get() < 0) continue;  // its owner just removed it
      if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) continue;  // in use
      RETURN_IF_ERROR(RemoveSandboxFiles(base));
      RETURN_IF_ERROR(RemoveLock(base));
    } else if (absl::ConsumeSuffix(&base_name, ".net") ||
               absl::ConsumeSuffix(&base_name, ".log") ||
               absl::ConsumeSuffix(&base_name, ".api")) {
      // A lock is made first and removed last: without one, the owner died.
      const std::string base = JoinPath(dir, base_name);
      if (!PathExists(base + ".lock")) {
        RETURN_IF_ERROR(RemoveSandboxFiles(base));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::executor::network
