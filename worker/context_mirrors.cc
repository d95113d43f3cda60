#include "worker/context_mirrors.h"

#include <stdio.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/context_materializer.h"

namespace farm::worker {

struct ContextMirrors::Lease::Mirror {
  int id = 0;
  std::string dir;
  proto::ContextManifest held;
  // held's files: path -> digest, to score a manifest against it.
  absl::flat_hash_map<std::string, std::string> files;
  uint64_t bytes = 0;
  uint64_t last_used = 0;
  bool leased = false;

  void Hold(proto::ContextManifest manifest) {
    held = std::move(manifest);
    files.clear();
    bytes = 0;
    for (const proto::ContextEntry& entry : held.entries()) {
      if (entry.type() != proto::ContextEntry::FILE) continue;
      files[entry.path()] = entry.digest();
      bytes += static_cast<uint64_t>(std::max<int64_t>(entry.size(), 0));
    }
  }

  // What syncing this mirror to `wanted` (its entries by path) costs: the
  // bytes of the files it must write, and a page's worth for each entry it
  // must create or delete (inodes, which are what made this slow).
  uint64_t SyncCost(const proto::ContextManifest& manifest,
                    const absl::flat_hash_set<std::string>& wanted) const {
    uint64_t cost = 0;
    for (const proto::ContextEntry& entry : manifest.entries()) {
      if (entry.type() != proto::ContextEntry::FILE) continue;
      auto it = files.find(entry.path());
      if (it == files.end() || it->second != entry.digest()) {
        cost += kEntryCost +
                static_cast<uint64_t>(std::max<int64_t>(entry.size(), 0));
      }
    }
    for (const proto::ContextEntry& entry : held.entries()) {
      if (!wanted.contains(entry.path())) cost += kEntryCost;
    }
    return cost;
  }
  static constexpr uint64_t kEntryCost = 4096;
};

ContextMirrors::Lease::~Lease() { owner_->Release(mirror_); }

const std::string& ContextMirrors::Lease::dir() const { return mirror_->dir; }

ContextMirrors::ContextMirrors(ContextMirrorsOptions options)
    : options_(std::move(options)) {
  remover_ = std::thread([this] {
    while (std::optional<std::string> dir = trash_.Pop()) {
      absl::Status removed = RemoveAll(*dir);
      if (!removed.ok()) {
        FARM_LOG(WARNING) << "removing context mirror: " << removed;
      }
    }
  });
}

ContextMirrors::~ContextMirrors() {
  // What is still queued stays on disk; the next Open removes it.
  trash_.Close();
  while (trash_.Pop(absl::ZeroDuration()).has_value()) {
  }
  remover_.join();
}

std::string ContextMirrors::StatePath(const Mirror& mirror) const {
  return JoinPath(options_.root, absl::StrCat(mirror.id, ".manifest"));
}

absl::StatusOr<std::unique_ptr<ContextMirrors>> ContextMirrors::Open(
    ContextMirrorsOptions options) {
  RETURN_IF_ERROR(MakeDirs(options.root, 0700));
  auto mirrors =
      std::unique_ptr<ContextMirrors>(new ContextMirrors(std::move(options)));
  const std::string& root = mirrors->options_.root;
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root));
  absl::MutexLock lock(&mirrors->mu_);
  for (const std::string& name : names) {
    int id = 0;
    const std::string path = JoinPath(root, name);
    if (absl::SimpleAtoi(name, &id) && id >= 0 && IsDirectory(path)) {
      mirrors->next_id_ = std::max(mirrors->next_id_, id + 1);
      absl::StatusOr<std::string> state =
          ReadFile(JoinPath(root, absl::StrCat(id, ".manifest")));
      proto::ContextManifest held;
      if (state.ok() && held.ParseFromString(*state)) {
        auto mirror = std::make_unique<Mirror>();
        mirror->id = id;
        mirror->dir = path;
        mirror->Hold(std::move(held));
        mirrors->mirrors_.push_back(std::move(mirror));
        continue;
      }
    } else if (absl::EndsWith(name, ".manifest")) {
      int owner = 0;
      if (absl::SimpleAtoi(absl::StripSuffix(name, ".manifest"), &owner) &&
          IsDirectory(JoinPath(root, absl::StrCat(owner)))) {
        continue;
      }
    }
    // Half-synced, stray or trash: of no use.
    RETURN_IF_ERROR(RemoveAll(path));
  }
  mirrors->EvictLocked();
  return mirrors;
}

int ContextMirrors::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(mirrors_.size());
}

absl::StatusOr<std::unique_ptr<ContextMirrors::Lease>> ContextMirrors::Acquire(
    const proto::ContextManifest& manifest, cache::BlobStore& blobs) {
  absl::flat_hash_set<std::string> wanted;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    wanted.insert(entry.path());
  }
  Mirror* mirror = nullptr;
  {
    absl::MutexLock lock(&mu_);
    // The unleased mirror that is cheapest to sync, or a new one when that
    // is cheaper still and there is room: a stage that reads one file of a
    // context should not empty the mirror that holds all of it.
    const Mirror empty;
    uint64_t best = static_cast<int>(mirrors_.size()) < options_.max_mirrors
                        ? empty.SyncCost(manifest, wanted)
                        : UINT64_MAX;
    for (const std::unique_ptr<Mirror>& candidate : mirrors_) {
      if (candidate->leased) continue;
      uint64_t cost = candidate->SyncCost(manifest, wanted);
      if (cost < best ||
          (cost == best && (mirror == nullptr ||
                            candidate->last_used > mirror->last_used))) {
        mirror = candidate.get();
        best = cost;
      }
    }
    if (mirror == nullptr) {
      auto fresh = std::make_unique<Mirror>();
      fresh->id = next_id_++;
      fresh->dir = JoinPath(options_.root, absl::StrCat(fresh->id));
      mirror = fresh.get();
      mirrors_.push_back(std::move(fresh));
    }
    mirror->leased = true;
  }
  auto fail = [&](const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    Discard(mirror);
    return status;
  };
  // No record while the mirror changes: a crash leaves it to be removed.
  if (std::remove(StatePath(*mirror).c_str()) != 0 && errno != ENOENT) {
    return fail(ErrnoStatus(errno, "removing a context mirror's record"));
  }
  absl::Status made = MakeDirs(mirror->dir, 0755);
  if (!made.ok()) return fail(made);
  absl::Status synced = SyncContext(mirror->held, manifest, blobs, mirror->dir);
  if (!synced.ok()) return fail(synced);
  {
    absl::MutexLock lock(&mu_);
    mirror->Hold(manifest);
  }
  absl::Status recorded =
      WriteFileAtomic(StatePath(*mirror), manifest.SerializeAsString(), 0600);
  if (!recorded.ok()) {
    // Only a restart needs the record; without it the mirror is dropped then.
    FARM_LOG(WARNING) << "recording a context mirror: " << recorded;
  }
  return std::unique_ptr<Lease>(new Lease(this, mirror));
}

void ContextMirrors::Release(Mirror* mirror) {
  absl::MutexLock lock(&mu_);
  mirror->leased = false;
  mirror->last_used = ++clock_;
  EvictLocked();
}

void ContextMirrors::EvictLocked() {
  while (true) {
    uint64_t bytes = 0;
    int unleased = 0;
    Mirror* oldest = nullptr;
    for (const std::unique_ptr<Mirror>& mirror : mirrors_) {
      bytes += mirror->bytes;
      if (mirror->leased) continue;
      ++unleased;
      if (oldest == nullptr || mirror->last_used < oldest->last_used) {
        oldest = mirror.get();
      }
    }
    if (oldest == nullptr ||
        (unleased <= options_.max_mirrors && bytes <= options_.max_bytes)) {
      return;
    }
    Discard(oldest);
  }
}

void ContextMirrors::Discard(Mirror* mirror) {
  std::remove(StatePath(*mirror).c_str());
  // A rename is instant; the files go on the remover's thread. The name
  // is no mirror id, so Open removes it should the process stop first.
  const std::string trash =
      JoinPath(options_.root, absl::StrCat("trash-", mirror->id));
  if (rename(mirror->dir.c_str(), trash.c_str()) == 0) {
    trash_.Push(trash);
  } else if (errno != ENOENT) {
    absl::Status removed = RemoveAll(mirror->dir);
    if (!removed.ok()) {
      FARM_LOG(WARNING) << "removing context mirror: " << removed;
    }
  }
  mirrors_.erase(std::find_if(
      mirrors_.begin(), mirrors_.end(),
      [mirror](const std::unique_ptr<Mirror>& m) { return m.get() == mirror; }));
}

}  // namespace farm::worker
