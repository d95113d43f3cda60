#include "cache/pin_registry.h"

#include <cstdio>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::cache {
namespace {

// One file per owner: the owner, the renewal time (unix seconds), then one
// digest per line.
constexpr char kSuffix[] = ".pins";

}  // namespace

absl::StatusOr<std::unique_ptr<PinRegistry>> PinRegistry::Open(
    std::string dir, const Clock* clock, absl::Duration lifetime) {
  auto registry = std::unique_ptr<PinRegistry>(
      new PinRegistry(std::move(dir), clock, lifetime));
  if (registry->dir_.empty()) return registry;
  RETURN_IF_ERROR(MakeDirs(registry->dir_, 0700));
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(registry->dir_));
  absl::MutexLock lock(&registry->mu_);
  for (const std::string& name : names) {
    const std::string path = JoinPath(registry->dir_, name);
    if (!absl::EndsWith(name, kSuffix)) {
      std::remove(path.c_str());  // a temporary file of a write cut short
      continue;
    }
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    std::vector<std::string> lines =
        absl::StrSplit(text, '\n', absl::SkipEmpty());
    int64_t renewed = 0;
    if (lines.size() < 2 || !absl::SimpleAtoi(lines[1], &renewed)) {
      return absl::DataLossError(
          absl::StrCat("pin file ", path, " is garbled"));
    }
    Owner owner;
    owner.renewed = absl::FromUnixSeconds(renewed);
    for (size_t i = 2; i < lines.size(); ++i) {
      absl::StatusOr<Digest> digest = Digest::Parse(lines[i]);
      if (!digest.ok()) {
        return absl::DataLossError(
            absl::StrCat("pin file ", path, ": ", digest.status().message()));
      }
      owner.digests.insert(*digest);
    }
    registry->owners_[lines[0]] = std::move(owner);
  }
  registry->ExpireLocked();
  return registry;
}

std::string PinRegistry::FileOf(const std::string& owner) const {
  // Owners are free text; the file is named by a digest of it.
  return JoinPath(dir_, absl::StrCat(Digest::Of(owner).hex(), kSuffix));
}

void PinRegistry::ExpireLocked() {
  const absl::Time now = clock_->Now();
  for (auto it = owners_.begin(); it != owners_.end();) {
    if (now - it->second.renewed <= lifetime_) {
      ++it;
      continue;
    }
    if (!dir_.empty()) std::remove(FileOf(it->first).c_str());
    it = owners_.erase(it);
  }
}

absl::flat_hash_set<Digest> PinRegistry::AllLocked() {
  absl::flat_hash_set<Digest> all;
  for (const auto& [name, owner] : owners_) {
    all.insert(owner.digests.begin(), owner.digests.end());
  }
  return all;
}

absl::flat_hash_set<Digest> PinRegistry::All() {
  absl::MutexLock lock(&mu_);
  ExpireLocked();
  return AllLocked();
}

absl::StatusOr<absl::flat_hash_set<Digest>> PinRegistry::Set(
    const std::string& owner, absl::flat_hash_set<Digest> digests) {
  if (owner.empty() || owner.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("a pin owner is one non-empty line");
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  // The same set, renewed within the hour: nothing to write (an embedded
  // farm pins on every start).
  auto known = owners_.find(owner);
  if (known != owners_.end() && known->second.digests == digests &&
      now - known->second.renewed < lifetime_ / 24) {
    ExpireLocked();
    return AllLocked();
  }
  if (!dir_.empty()) {
    if (digests.empty()) {
      std::remove(FileOf(owner).c_str());
    } else {
      std::string text =
          absl::StrCat(owner, "\n", absl::ToUnixSeconds(now), "\n");
      for (const Digest& digest : digests) {
        absl::StrAppend(&text, digest.ToString(), "\n");
      }
      RETURN_IF_ERROR(WriteFileAtomic(FileOf(owner), text, 0600));
    }
  }
  if (digests.empty()) {
    owners_.erase(owner);
  } else {
    owners_[owner] = Owner{std::move(digests), now};
  }
  ExpireLocked();
  return AllLocked();
}

absl::Status DeleteUnpinned(BlobStore& blobs,
                            const absl::flat_hash_set<Digest>& pinned,
                            const std::vector<Digest>& digests) {
  for (const Digest& digest : digests) {
    if (pinned.contains(digest)) {
      return absl::FailedPreconditionError(
          absl::StrCat("blob ", digest.ToString(),
                       " is pinned by a stored image and cannot be deleted"));
    }
  }
  for (const Digest& digest : digests) RETURN_IF_ERROR(blobs.Delete(digest));
  return absl::OkStatus();
}

}  // namespace farm::cache
