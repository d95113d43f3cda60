#include "worker/cache_mount_sync.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/dir_fingerprint.h"
#include "worker/mount_archive.h"

namespace farm::worker {

namespace {

std::string BaseFile(const std::string& dir) { return dir + ".base"; }

std::string Text(const Digest& digest) {
  return digest.empty() ? "-" : digest.ToString();
}

absl::StatusOr<Digest> FromText(absl::string_view text) {
  if (text == "-") return Digest();
  return Digest::Parse(text);
}

absl::Status SaveMountBase(const std::string& dir, const MountBase& base) {
  return WriteFileAtomic(
      BaseFile(dir),
      absl::StrCat("generation ", Text(base.generation), "\nfingerprint ",
                   Text(base.fingerprint), "\n"),
      0600);
}

// A failure no retry mends: the generation is gone, damaged or refused.
bool Permanent(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<MountBase> LoadMountBase(const std::string& dir) {
  const std::string path = BaseFile(dir);
  if (!PathExists(path)) return MountBase();
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> words =
      absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  absl::StatusOr<Digest> generation = absl::DataLossError("");
  absl::StatusOr<Digest> fingerprint = absl::DataLossError("");
  if (words.size() == 4 && words[0] == "generation" &&
      words[2] == "fingerprint") {
    generation = FromText(words[1]);
    fingerprint = FromText(words[3]);
  }
  if (!generation.ok() || !fingerprint.ok()) {
    return absl::DataLossError(absl::StrCat(path, " does not parse"));
  }
  return MountBase{*generation, *fingerprint};
}

std::string CacheMountSync::ScratchPath(const std::string& suffix) {
  return JoinPath(
      options_.scratch_dir,
      absl::StrCat("cache-mount-", getpid(), "-", next_scratch_++, suffix));
}

absl::StatusOr<MountBase> CacheMountSync::Restore(const MountRef& mount,
                                                  const MountBase& base) {
  ASSIGN_OR_RETURN(Generation newest, pointers_->Get(mount.grant, mount.id));
  if (newest.digest == base.generation) return base;
  // With no generation to follow, what the directory holds is new to the
  // farm: the next publish offers it.
  MountBase next{newest.digest, Digest()};
  if (!newest.digest.empty()) {
    absl::Status replaced = Replace(mount.dir, newest);
    if (!replaced.ok() && !Permanent(replaced)) return replaced;
    if (!replaced.ok()) {
      FARM_LOG(WARNING) << "cache mount " << mount.id << ": generation "
                        << newest.digest.ToString()
                        << " cannot be restored, keeping this worker's copy: "
                        << replaced;
    } else {
      ASSIGN_OR_RETURN(DirSummary summary, SummarizeDir(mount.dir));
      next.fingerprint = summary.fingerprint;
      FARM_LOG(INFO) << "cache mount " << mount.id << ": restored generation "
                     << newest.digest.ToString() << " (" << summary.entries
                     << " entries, " << summary.bytes << " bytes of files)";
    }
  }
  RETURN_IF_ERROR(SaveMountBase(mount.dir, next));
  return next;
}

absl::Status CacheMountSync::Replace(const std::string& dir,
                                     const Generation& generation) {
  // A sibling, so that the swap is one rename on one filesystem.
  const std::string fresh = dir + ".restoring";
  RETURN_IF_ERROR(RemoveAll(fresh));
  absl::Cleanup remove = [&] { RemoveAll(fresh).IgnoreError(); };
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, dir);
  if (mkdir(fresh.c_str(), 0700) != 0) return ErrnoStatus(errno, fresh);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> blob,
                   blobs_->Get(generation.digest));
  // A bomb stops here; a generation is at most max_bytes of files, and its
  // tar adds headers.
  RETURN_IF_ERROR(
      UnpackDir(blob.get(), fresh, 2 * options_.max_bytes + (64 << 20)));
  if (chown(fresh.c_str(), st.st_uid, st.st_gid) != 0 ||
      chmod(fresh.c_str(), st.st_mode & 07777) != 0) {
    return ErrnoStatus(errno, "setting up " + fresh);
  }
  if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, dir.c_str(),
                RENAME_EXCHANGE) != 0) {
    return ErrnoStatus(errno, absl::StrCat("swapping ", fresh, " and ", dir));
  }
  return absl::OkStatus();  // `fresh` now holds the old contents: removed
}

absl::StatusOr<Generation> CacheMountSync::Upload(const std::string& dir) {
  RETURN_IF_ERROR(MakeDirs(options_.scratch_dir, 0700));
  const std::string path = ScratchPath(".tar.gz");
  absl::Cleanup remove = [&] { RemoveAll(path).IgnoreError(); };
  ASSIGN_OR_RETURN(ArchivedDir tar, ArchiveDir(dir, path));
  ASSIGN_OR_RETURN(std::vector<Digest> missing,
                   blobs_->FindMissing(absl::MakeConstSpan(&tar.digest, 1)));
  if (!missing.empty()) RETURN_IF_ERROR(blobs_->PutFile(tar.digest, path));
  return Generation{tar.digest, tar.size};
}

absl::StatusOr<MountBase> CacheMountSync::Publish(const MountRef& mount,
                                                  const MountBase& base) {
  ASSIGN_OR_RETURN(DirSummary summary, SummarizeDir(mount.dir));
  if (summary.fingerprint == base.fingerprint) return base;
  const MountBase unpublished{base.generation, summary.fingerprint};
  if (summary.entries == 0 && base.generation.empty()) return unpublished;
  if (summary.bytes > options_.max_bytes) {
    FARM_LOG(INFO) << "cache mount " << mount.id << " holds " << summary.bytes
                   << " bytes, more than --cache-mount-max-bytes ("
                   << options_.max_bytes << "): it stays on this worker";
    return unpublished;
  }
  ASSIGN_OR_RETURN(Generation uploaded, Upload(mount.dir));
  absl::Status advanced =
      pointers_->Advance(mount.grant, mount.id, base.generation, uploaded);
  if (absl::IsAborted(advanced)) {
    FARM_LOG(INFO) << "cache mount " << mount.id << ": generation "
                   << uploaded.digest.ToString()
                   << " dropped, another worker's came first: "
                   << advanced.message();
    return unpublished;
  }
  RETURN_IF_ERROR(advanced);
  const MountBase published{uploaded.digest, summary.fingerprint};
  RETURN_IF_ERROR(SaveMountBase(mount.dir, published));
  FARM_LOG(INFO) << "cache mount " << mount.id << ": published generation "
                 << uploaded.digest.ToString() << " (" << summary.entries
                 << " entries, " << summary.bytes << " bytes of files, "
                 << uploaded.size << " bytes stored)";
  return published;
}

}  // namespace farm::worker
