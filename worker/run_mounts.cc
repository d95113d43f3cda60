#include "worker/run_mounts.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/source_selector.h"
#include "worker/fileops/root_fs.h"
#include "worker/fileops/tree_copier.h"

namespace farm::worker {
namespace {

// Makes `path` (a container path) a directory in the rootfs, unless it
// exists; parents made too, root-owned 0755.
absl::Status MakeTargetDir(const fileops::RootFs& root,
                           const std::string& path) {
  ASSIGN_OR_RETURN(std::string rel, root.Resolve(path, /*follow_last=*/true));
  if (rel.empty()) return absl::OkStatus();
  return root.MkdirAll(rel, std::nullopt);
}

// A private, writable copy of a bind source: changes are discarded with
// the job's scratch dir, as BuildKit discards a rw bind's writes.
absl::StatusOr<std::string> CopySource(const fileops::DirectoryTree& tree,
                                       const std::string& source,
                                       const std::string& dir) {
  RETURN_IF_ERROR(MakeDirs(dir, 0755));
  ASSIGN_OR_RETURN(fileops::RootFs root, fileops::RootFs::Open(dir));
  ASSIGN_OR_RETURN(dockerfile::Selection selection,
                   dockerfile::SelectSources(tree, {source}));
  const dockerfile::SelectedSource& selected = selection.sources.at(0);
  fileops::TreeCopier copier(tree, root, fileops::CopyAttrs{});
  bool is_dir = selected.stat.type == dockerfile::SourceStat::Type::kDirectory;
  RETURN_IF_ERROR(copier.CopyTo(selected, is_dir ? "" : "file"));
  return is_dir ? dir : JoinPath(dir, "file");
}

// The secret's value as a file of the job's own for a read-only bind
// mount: mode 0400 and owner 0:0 unless the mount says otherwise.
absl::StatusOr<std::string> WriteSecret(const std::string& value,
                                        const dockerfile::Mount& mount,
                                        const std::string& path) {
  RETURN_IF_ERROR(WriteFile(path, value, 0600));
  if (chown(path.c_str(), mount.uid.value_or(0), mount.gid.value_or(0)) != 0) {
    return ErrnoStatus(errno, "setting the secret's owner");
  }
  if (chmod(path.c_str(), mount.mode.value_or(0400) & 07777) != 0) {
    return ErrnoStatus(errno, "setting the secret's mode");
  }
  return path;
}

}  // namespace

absl::StatusOr<RunMounts> RunMounts::Prepare(
    const std::vector<dockerfile::Mount>& mounts,
    const RunMountInputs& inputs) {
  RunMounts out;
  ASSIGN_OR_RETURN(fileops::RootFs root, fileops::RootFs::Open(inputs.rootfs));
  size_t next_ref = 0;
  int copies = 0;
  int secrets = 0;
  for (const dockerfile::Mount& mount : mounts) {
    // As BuildKit: a secret's id defaults to its target's base name, its
    // target (unless it is an environment variable) to /run/secrets/<id>.
    const std::string secret_id = dockerfile::SecretId(mount);
    std::string target = mount.target;
    if (mount.type == "secret" && target.empty() && !mount.env.has_value()) {
      target = absl::StrCat("/run/secrets/", BaseName(secret_id));
    }
    if (!absl::StartsWith(target, "/")) {
      target = CleanPath(absl::StrCat("/", inputs.workdir, "/", target));
    }
    auto context = [&](const absl::Status& status) {
      return Annotate(status, absl::StrCat("--mount type=", mount.type,
                                           ",target=", target));
    };
    const proto::StageRef* from = nullptr;
    if (!mount.from.empty()) {
      if (next_ref >= inputs.from_refs.size()) {
        return context(absl::FailedPreconditionError(
            "the plan does not resolve its from="));
      }
      from = &inputs.from_refs[next_ref++];
    }
    executor::Mount out_mount;
    out_mount.target = target;
    if (mount.type == "bind") {
      absl::StatusOr<const fileops::DirectoryTree*> tree =
          from == nullptr ? inputs.sources->Context()
                          : inputs.sources->Source(*from);
      if (!tree.ok()) return context(tree.status());
      const std::string source = CleanPath(absl::StrCat("/", mount.source));
      absl::StatusOr<std::string> resolved = dockerfile::ResolveInTree(
          **tree, source == "/" ? "" : source.substr(1), /*follow_last=*/true);
      if (!resolved.ok()) {
        return context(absl::NotFoundError(
            absl::StrCat("mount source \"", source, "\": not found")));
      }
      absl::StatusOr<dockerfile::SourceStat> stat = (*tree)->Lstat(*resolved);
      if (!stat.ok()) return context(stat.status());
      bool is_dir = stat->type == dockerfile::SourceStat::Type::kDirectory;
      out_mount.source = JoinPath((*tree)->dir(), *resolved);
      out_mount.readonly = mount.read_only;
      if (!mount.read_only) {
        absl::StatusOr<std::string> copy = CopySource(
            **tree, source,
            JoinPath(inputs.scratch_dir, absl::StrCat("rw-mount-", copies++)));
        if (!copy.ok()) return context(copy.status());
        out_mount.source = *copy;
      }
      absl::Status made =
          MakeTargetDir(root, is_dir ? target : DirName(target));
      if (!made.ok()) return context(made);
    } else if (mount.type == "cache") {
      absl::StatusOr<CacheMounts::Lease> lease = inputs.caches->Acquire(
          inputs.tenant, mount, *inputs.cancel, inputs.cache_mount_grant);
      if (!lease.ok()) return context(lease.status());
      if (from != nullptr) {
        // As BuildKit does, a cache that is still empty starts as a copy of
        // the from= stage's or image's source directory.
        absl::StatusOr<std::vector<std::string>> names = ListDir(lease->path());
        if (!names.ok()) return context(names.status());
        if (names->empty()) {
          absl::StatusOr<const fileops::DirectoryTree*> tree =
              inputs.sources->Source(*from);
          if (!tree.ok()) return context(tree.status());
          absl::StatusOr<std::string> seeded =
              CopySource(**tree, CleanPath(absl::StrCat("/", mount.source)),
                         lease->path());
          if (!seeded.ok()) return context(seeded.status());
        }
      }
      out_mount.source = lease->path();
      out_mount.readonly = mount.read_only;
      out.leases_.push_back(*std::move(lease));
      absl::Status made = MakeTargetDir(root, target);
      if (!made.ok()) return context(made);
    } else if (mount.type == "tmpfs") {
      out_mount.type = executor::Mount::Type::kTmpfs;
      if (mount.size_limit > 0) {
        out_mount.options.push_back(absl::StrCat("size=", mount.size_limit));
      }
      absl::Status made = MakeTargetDir(root, target);
      if (!made.ok()) return context(made);
    } else if (mount.type == "secret" && inputs.secrets != nullptr &&
               inputs.secrets->count(secret_id) > 0) {
      const std::string& value = inputs.secrets->at(secret_id);
      if (mount.env.has_value()) {
        out.env_.push_back(absl::StrCat(*mount.env, "=", value));
        if (mount.target.empty()) continue;
      }
      absl::StatusOr<std::string> file = WriteSecret(
          value, mount,
          JoinPath(inputs.scratch_dir, absl::StrCat("secret-", secrets++)));
      if (!file.ok()) return context(file.status());
      out_mount.source = *file;
      out_mount.readonly = true;
      absl::Status made = MakeTargetDir(root, DirName(target));
      if (!made.ok()) return context(made);
    } else if (mount.type == "secret" || mount.type == "ssh") {
      if (mount.required && mount.type == "secret") {
        return context(absl::FailedPreconditionError(absl::StrCat(
            "secret \"", secret_id,
            "\" is required but the build has none by that id (farm build "
            "--secret id=",
            secret_id, ",src=FILE)")));
      }
      if (mount.required) {
        return context(absl::FailedPreconditionError(absl::StrCat(
            mount.type == "secret" ? "secret" : "SSH agent", " \"",
            mount.id.empty() ? "default" : mount.id,
            "\" is required but farm does not forward ",
            mount.type == "secret" ? "secrets" : "SSH agents", " to builds")));
      }
      continue;
    } else {
      return context(absl::InvalidArgumentError(
          absl::StrCat("unknown mount type \"", mount.type, "\"")));
    }
    out.mounts_.push_back(std::move(out_mount));
  }
  return out;
}

}  // namespace farm::worker
