#include "worker/step_actions.h"

#include <fcntl.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "image/fetch/url_fetch.h"
#include "worker/executor/user.h"
#include "worker/fileops/file_op.h"
#include "worker/fileops/root_fs.h"
#include "worker/run_mounts.h"

namespace farm::worker {
namespace {

// Marks the status of a RUN killed at a limit, whose message continues the
// instruction's text rather than following a colon.
constexpr char kRunKilledPayload[] = "type.farm.dev/run-killed";

// Writes CAS blob `digest` to `path`.
absl::Status FetchBlob(cache::BlobStore& blobs, const std::string& digest,
                       const std::string& path) {
  ASSIGN_OR_RETURN(Digest parsed, Digest::Parse(digest));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, blobs.Get(parsed));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> writer,
                   OpenFileWriter(path, 0600));
  RETURN_IF_ERROR(Copy(*reader, *writer).status());
  return writer->Close();
}

}  // namespace

absl::Status RunCommand(const StepInputs& in, const std::string& rootfs) {
  const auto* run = in.instruction->As<dockerfile::RunInstruction>();
  executor::ProcessSpec spec;
  spec.args = RunArgv(*in.instruction, in.builder->shell());
  spec.env = in.builder->RunEnvironment();
  spec.cwd = in.builder->working_dir();
  spec.user = in.builder->user();
  spec.network = run->network == "none"   ? executor::NetworkMode::kNone
                 : run->network == "host" ? executor::NetworkMode::kHost
                                          : executor::NetworkMode::kPrivate;
  spec.security = run->security == "insecure"
                      ? executor::SecurityMode::kInsecure
                      : executor::SecurityMode::kSandbox;
  // BuildKit leaves no-new-privileges off, so sudo and friends work.
  spec.no_new_privileges = false;
  spec.limits = in.limits;
  spec.writable_dir = in.writable_dir;

  // Docker leaves /etc behind on a base without it: the directory that
  // held the stubs of the generated hosts, hostname and resolv.conf.
  ASSIGN_OR_RETURN(fileops::RootFs root, fileops::RootFs::Open(rootfs));
  ASSIGN_OR_RETURN(std::optional<struct stat> etc, root.Lstat("etc"));
  if (!etc.has_value()) RETURN_IF_ERROR(root.MkdirAll("etc", std::nullopt));

  RunMountInputs mount_inputs;
  mount_inputs.sources = in.sources;
  mount_inputs.caches = in.caches;
  mount_inputs.rootfs = rootfs;
  mount_inputs.workdir = spec.cwd;
  mount_inputs.scratch_dir = in.scratch_dir;
  mount_inputs.from_refs.assign(in.planned->sources().begin(),
                                in.planned->sources().end());
  mount_inputs.cancel = in.cancel;
  if (in.job != nullptr) {
    mount_inputs.secrets = &in.job->secrets();
    mount_inputs.tenant = in.job->tenant();
    mount_inputs.cache_mount_grant = in.job->cache_mount_grant();
  }
  ASSIGN_OR_RETURN(RunMounts mounts,
                   RunMounts::Prepare(run->mounts, mount_inputs));
  spec.mounts = mounts.mounts();
  spec.env.insert(spec.env.end(), mounts.env().begin(), mounts.env().end());

  executor::LineRecorder tail(kFailedRunTailLines, in.output);
  ASSIGN_OR_RETURN(executor::ExitStatus exit,
                   in.executor->Run(rootfs, spec, tail, *in.cancel));
  if (exit.success()) return absl::OkStatus();
  const bool killed = !exit.killed_by.empty();
  std::string message = killed ? absl::StrCat("was killed: ", exit.killed_by)
                               : absl::StrCat("exit code ", exit.code);
  std::string lines = tail.Tail();
  if (!lines.empty()) {
    absl::StrAppend(&message, "\n", absl::StripSuffix(lines, "\n"));
  }
  if (!killed) return absl::InvalidArgumentError(message);
  // The step's own doing, on any worker: the scheduler does not retry it.
  absl::Status status = absl::ResourceExhaustedError(message);
  status.SetPayload(kRunKilledPayload, absl::Cord(exit.killed_by));
  return status;
}

absl::Status AnnotateStep(const absl::Status& status, absl::string_view where) {
  if (status.ok()) return status;
  if (!status.GetPayload(kRunKilledPayload).has_value()) {
    return Annotate(status, where);
  }
  return absl::Status(status.code(),
                      absl::StrCat(where, " ", status.message()));
}

absl::Status CopyFiles(const StepInputs& in, const std::string& rootfs) {
  const std::string workdir = in.builder->working_dir();
  const dockerfile::FileSources* files = nullptr;
  fileops::FileOp op;
  if (const auto* copy = in.instruction->As<dockerfile::CopyInstruction>()) {
    op = fileops::FileOpForCopy(*copy, workdir, copy->from.empty());
    files = &copy->files;
  } else {
    const auto* add = in.instruction->As<dockerfile::AddInstruction>();
    op = fileops::FileOpForAdd(*add, workdir);
    files = &add->files;
  }
  int downloads = 0;
  for (const std::string& source : files->paths) {
    if (!op.is_add() || !image::IsUrl(source)) continue;
    auto blob = in.job->url_blobs().find(source);
    if (blob == in.job->url_blobs().end()) continue;  // the op reports it
    const std::string path =
        JoinPath(in.scratch_dir, absl::StrCat("download-", downloads++));
    RETURN_IF_ERROR(Annotate(FetchBlob(*in.blobs, blob->second, path),
                             absl::StrCat("fetching ", source)));
    op.downloads[source] = fileops::DownloadedFile{path, std::nullopt};
  }

  const fileops::DirectoryTree* tree = nullptr;
  ScopedFd upper;
  if (in.planned->sources_size() > 0 &&
      in.instruction->As<dockerfile::CopyInstruction>() != nullptr) {
    ASSIGN_OR_RETURN(tree, in.sources->Source(in.planned->sources(0)));
  } else {
    ASSIGN_OR_RETURN(tree, in.sources->Context());
    // The context's files are replaced, never changed in place (see
    // context_materializer.h), so a layer may share their inodes.
    if (!in.writable_dir.empty()) {
      upper = ScopedFd(open(in.writable_dir.c_str(),
                            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (upper.get() < 0) {
        return ErrnoStatus(errno, "opening the upper dir");
      }
      op.link = fileops::LinkInto{upper.get(), in.source_date_epoch};
    }
  }
  return fileops::RunFileOp(op, tree, rootfs, *in.clock).status();
}

absl::Status MakeWorkdir(const std::string& rootfs, const std::string& dir,
                         const std::string& user) {
  ASSIGN_OR_RETURN(executor::ResolvedUser owner,
                   executor::ResolveUser(rootfs, user));
  ASSIGN_OR_RETURN(fileops::RootFs root, fileops::RootFs::Open(rootfs));
  ASSIGN_OR_RETURN(std::string rel, root.Resolve(dir, /*follow_last=*/true));
  if (rel.empty()) return absl::OkStatus();
  return root.MkdirAll(rel, fileops::Owner{owner.uid, owner.gid});
}

}  // namespace farm::worker
