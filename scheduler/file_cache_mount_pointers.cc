#include "scheduler/file_cache_mount_pointers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "google/protobuf/text_format.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

namespace {

constexpr absl::string_view kSuffix = ".pointer";

std::string Describe(const Digest& digest) {
  return digest.empty() ? "none" : digest.ToString();
}

absl::StatusOr<MountGeneration> FromProto(
    const proto::CacheMountGeneration& generation) {
  MountGeneration out;
  out.size_bytes = generation.size_bytes();
  if (!generation.digest().empty()) {
    ASSIGN_OR_RETURN(out.digest, Digest::Parse(generation.digest()));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileCacheMountPointers>>
FileCacheMountPointers::Open(std::string dir, const Clock* clock) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::unique_ptr<FileCacheMountPointers> store(
      new FileCacheMountPointers(dir, clock));
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    const std::string path = JoinPath(dir, name);
    if (!absl::EndsWith(name, kSuffix)) {
      // A write that a crash cut short; its pointer kept the old value.
      if (absl::StrContains(name, ".tmp.")) RETURN_IF_ERROR(RemoveAll(path));
      continue;
    }
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    proto::CacheMountPointer record;
    absl::StatusOr<MountGeneration> generation =
        absl::InvalidArgumentError("not a CacheMountPointer");
    if (google::protobuf::TextFormat::ParseFromString(text, &record)) {
      generation = FromProto(record.generation());
    }
    if (!generation.ok()) {
      return absl::DataLossError(absl::StrCat(
          "cache mount pointer ", path, ": ", generation.status().message()));
    }
    store->pointers_[{record.tenant(), record.id()}] = *generation;
  }
  return store;
}

std::string FileCacheMountPointers::FileOf(const CacheMountKey& key) const {
  // Length-prefixed, so no tenant and id can pass for another pair.
  const Digest name = Digest::Of(absl::StrCat(
      key.tenant.size(), ":", key.tenant, key.id.size(), ":", key.id));
  return JoinPath(dir_, absl::StrCat(name.hex(), kSuffix));
}

absl::StatusOr<MountGeneration> FileCacheMountPointers::Get(
    const CacheMountKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = pointers_.find(key);
  return it == pointers_.end() ? MountGeneration() : it->second;
}

absl::Status FileCacheMountPointers::CompareAndSwap(
    const CacheMountKey& key, const Digest& expected,
    const MountGeneration& next) {
  absl::MutexLock lock(&mu_);
  auto it = pointers_.find(key);
  const Digest current = it == pointers_.end() ? Digest() : it->second.digest;
  if (current == next.digest && !current.empty()) return absl::OkStatus();
  if (current != expected) {
    return absl::AbortedError(
        absl::StrCat("cache mount ", key.id, " is at generation ",
                     Describe(current), ", not ", Describe(expected)));
  }
  proto::CacheMountPointer record;
  record.set_tenant(key.tenant);
  record.set_id(key.id);
  if (!next.digest.empty()) {
    record.mutable_generation()->set_digest(next.digest.ToString());
  }
  record.mutable_generation()->set_size_bytes(next.size_bytes);
  record.set_updated_unix_nanos(absl::ToUnixNanos(clock_->Now()));
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(record, &text)) {
    return absl::InternalError("printing a cache mount pointer");
  }
  RETURN_IF_ERROR(WriteFileAtomic(FileOf(key), text, 0600));
  pointers_[key] = next;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Digest>> FileCacheMountPointers::Pointed() {
  absl::MutexLock lock(&mu_);
  std::vector<Digest> out;
  for (const auto& [key, generation] : pointers_) {
    if (!generation.digest.empty()) out.push_back(generation.digest);
  }
  return out;
}

}  // namespace farm::scheduler
