#include "client/context/context_walker.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/context/context_scan.h"
#include "client/context/file_hashing.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::client::context {

namespace {

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void FillFromStat(const struct stat& st, proto::ContextEntry* entry) {
  entry->set_mode(st.st_mode & 07777);
  entry->set_uid(st.st_uid);
  entry->set_gid(st.st_gid);
  entry->set_mtime_unix_nanos(Nanos(st.st_mtim));
}

absl::StatusOr<std::string> AbsoluteContext(const std::string& dir) {
  char resolved[PATH_MAX];
  if (realpath(dir.c_str(), resolved) == nullptr) {
    return ErrnoStatus(errno, absl::StrCat("the build context ", dir));
  }
  return std::string(resolved);
}

// A file the stat cache could not answer for.
struct HashJob {
  size_t entry;  // index into the manifest
  HashedFile result;
};

}  // namespace

absl::StatusOr<ContextSnapshot> WalkContext(
    const std::string& context_dir, const dockerfile::IgnoreMatcher& ignore,
    const WalkOptions& options) {
  const int64_t walk_start = absl::ToUnixNanos(absl::Now());
  ContextSnapshot snap;
  ASSIGN_OR_RETURN(snap.root, AbsoluteContext(context_dir));
  ScanCounts counts;
  ASSIGN_OR_RETURN(std::vector<ScannedEntry> scanned,
                   ScanContext(snap.root, ignore, &counts));
  snap.stats.ignored = counts.ignored;
  snap.stats.special = counts.special;

  std::vector<HashJob> jobs;
  std::map<std::pair<dev_t, ino_t>, std::string> first_name;
  auto* entries = snap.manifest.mutable_entries();
  entries->Reserve(scanned.size());
  for (ScannedEntry& s : scanned) {  // strings move; the stats stay
    proto::ContextEntry* e = entries->Add();
    e->set_path(std::move(s.path));
    e->set_type(s.type);
    FillFromStat(s.st, e);
    if (s.type == proto::ContextEntry::DIRECTORY) {
      ++snap.stats.directories;
    } else if (s.type == proto::ContextEntry::SYMLINK) {
      ++snap.stats.symlinks;
      e->set_link_target(std::move(s.link_target));
    } else {
      ++snap.stats.files;
      e->set_size(s.st.st_size);
      if (s.st.st_nlink > 1) {
        // Later names of one inode point at its first name in the walk.
        auto [it, first] = first_name.try_emplace(
            std::make_pair(s.st.st_dev, s.st.st_ino), e->path());
        if (!first) e->set_hardlink_of(it->second);
      }
      std::string digest;
      if (options.stat_cache != nullptr &&
          options.stat_cache->Lookup(FileIdentity::FromStat(s.st), &digest)) {
        e->set_digest(std::move(digest));
        ++snap.stats.cached_files;
      } else {
        jobs.push_back({static_cast<size_t>(entries->size() - 1)});
      }
    }
  }

  std::atomic<int64_t> bytes_read{0};
  int threads = options.threads > 0
                    ? options.threads
                    : std::max(1u, std::thread::hardware_concurrency());
  RETURN_IF_ERROR(ParallelFor(jobs.size(), threads, [&](size_t i) {
    const std::string& rel = entries->Get(jobs[i].entry).path();
    ASSIGN_OR_RETURN(jobs[i].result,
                     HashFile(JoinPath(snap.root, rel), rel, &bytes_read));
    return absl::OkStatus();
  }));
  snap.stats.hashed_files = jobs.size();
  snap.stats.hashed_bytes = bytes_read.load();

  const int64_t racy_after =
      walk_start - absl::ToInt64Nanoseconds(options.racy_window);
  for (HashJob& job : jobs) {
    proto::ContextEntry* e = entries->Mutable(job.entry);
    const struct stat& st = job.result.st;
    // The content hashed is what the entry describes, even if the file
    // changed between the scan and the hashing.
    FillFromStat(st, e);
    e->set_size(st.st_size);
    e->set_digest(job.result.digest.ToString());
    if (options.stat_cache != nullptr && Nanos(st.st_ctim) < racy_after) {
      options.stat_cache->Insert(FileIdentity::FromStat(st), job.result.digest);
    }
  }

  // The stat each file entry came from, for uploads.
  snap.identities.resize(scanned.size());
  size_t next_job = 0;
  for (size_t i = 0; i < scanned.size(); ++i) {
    const proto::ContextEntry& e = entries->Get(i);
    if (e.type() != proto::ContextEntry::FILE) continue;
    const struct stat* st = &scanned[i].st;
    if (next_job < jobs.size() && jobs[next_job].entry == i) {
      st = &jobs[next_job++].result.st;
    }
    snap.stats.file_bytes += e.size();
    snap.identities[i] = FileIdentity::FromStat(*st);
  }
  return snap;
}

absl::flat_hash_map<std::string, std::vector<FileOrigin>> FilesByDigest(
    const ContextSnapshot& snap) {
  absl::flat_hash_map<std::string, std::vector<FileOrigin>> files;
  const auto& entries = snap.manifest.entries();
  for (int i = 0; i < entries.size(); ++i) {
    const proto::ContextEntry& e = entries.Get(i);
    if (e.type() != proto::ContextEntry::FILE) continue;
    files[e.digest()].push_back({e.path(), snap.identities[i]});
  }
  return files;
}

}  // namespace farm::client::context
