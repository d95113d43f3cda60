#include "client/build/stdin_context.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "image/layer/layer_applier.h"
#include "worker/fileops/archive.h"

namespace farm::client::build {
namespace {

// Copies `fd` to its end into a new file `path`; `fd` stays open.
absl::Status Spool(int fd, const std::string& path) {
  ScopedFd copy(dup(fd));
  if (copy.get() < 0) return ErrnoStatus(errno, "reading standard input");
  std::unique_ptr<ByteReader> in = fileops::FdReader(std::move(copy));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> out, OpenFileWriter(path, 0600));
  RETURN_IF_ERROR(Copy(*in, *out).status());
  return out->Close();
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
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> sniff, OpenFileReader(input));
  ASSIGN_OR_RETURN(context->is_archive_,
                   fileops::IsTarArchive(std::move(sniff)));
  if (!context->is_archive_) {
    if (rename(input.c_str(), JoinPath(dir, "Dockerfile").c_str()) != 0) {
      return ErrnoStatus(errno, "placing the Dockerfile");
    }
    return context;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> file, OpenFileReader(input));
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
