#include "client/build/stdin_context.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/layer_applier.h"
#include "worker/fileops/archive.h"

namespace farm::client::build {
namespace {

// Copies `fd` to its end into a new file `path`.
absl::Status Spool(int fd, const std::string& path) {
  ScopedFd out(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0600));
  if (out.get() < 0) return ErrnoStatus(errno, "creating " + path);
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "reading standard input");
    if (n == 0) return absl::OkStatus();
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out.get(), buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus(errno, "writing " + path);
      done += w;
    }
  }
}

absl::StatusOr<std::unique_ptr<ByteReader>> OpenReader(
    const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "opening " + path);
  return fileops::FdReader(std::move(fd));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StdinContext>> StdinContext::Read(int fd) {
  ASSIGN_OR_RETURN(std::string temp, MakeTempDir("farm-stdin-context"));
  const std::string dir = JoinPath(temp, "context");
  // Owns the directory from here on, whatever fails.
  std::unique_ptr<StdinContext> context(
      new StdinContext(temp, dir, /*is_archive=*/false));
  RETURN_IF_ERROR(MakeDirs(dir, 0755));
  const std::string input = JoinPath(temp, "input");
  RETURN_IF_ERROR(Spool(fd, input));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> sniff, OpenReader(input));
  ASSIGN_OR_RETURN(context->is_archive_,
                   fileops::IsTarArchive(std::move(sniff)));
  if (!context->is_archive_) {
    if (rename(input.c_str(), JoinPath(dir, "Dockerfile").c_str()) != 0) {
      return ErrnoStatus(errno, "placing the Dockerfile");
    }
    return context;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> file, OpenReader(input));
  std::unique_ptr<ByteReader> plain = fileops::Decompressed(std::move(file));
  image::layer::ApplyOptions options;
  options.preserve_owners = false;
  options.allow_devices = false;
  absl::Status applied =
      image::layer::ApplyLayer(plain.get(), dir, options).status();
  RETURN_IF_ERROR(Annotate(applied, "the context archive on standard input"));
  unlink(input.c_str());
  return context;
}

StdinContext::~StdinContext() { RemoveAll(temp_).IgnoreError(); }

}  // namespace farm::client::build
