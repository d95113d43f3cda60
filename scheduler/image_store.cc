#include "scheduler/image_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/reference.h"

namespace farm::scheduler {

namespace {

constexpr size_t kMaxMetadataBytes = 16 << 20;

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return !s.empty();
}

absl::Status NoSuchImage(absl::string_view reference) {
  return absl::NotFoundError(absl::StrCat("No such image: ", reference));
}

// The blobs one image needs: manifest, config and layers.
std::vector<Digest> BlobsOf(const ImageInfo& info) {
  std::vector<Digest> out;
  absl::StatusOr<Digest> manifest = Digest::Parse(info.record.manifest_digest);
  if (manifest.ok()) out.push_back(*manifest);
  out.push_back(info.manifest.config.digest);
  for (const auto& layer : info.manifest.layers) out.push_back(layer.digest);
  return out;
}

}  // namespace

absl::StatusOr<std::string> NormalizeTag(absl::string_view name) {
  ASSIGN_OR_RETURN(image::registry::Reference ref,
                   image::registry::Reference::Parse(name));
  if (ref.digest().has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tag \"", name, "\": a tag cannot hold a digest"));
  }
  return ref.String();
}

std::string FamiliarName(absl::string_view normalized) {
  absl::StatusOr<image::registry::Reference> ref =
      image::registry::Reference::Parse(normalized);
  return ref.ok() ? ref->Familiar() : std::string(normalized);
}

std::string ShortId(absl::string_view digest) {
  absl::string_view hex = digest;
  if (absl::StartsWith(hex, "sha256:")) hex.remove_prefix(7);
  return std::string(hex.substr(0, 12));
}

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::Open(
    const std::string& dir, cache::BlobStore* blobs) {
  RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(ImageIndex index,
                   ImageIndex::Load(JoinPath(dir, "images.json")));
  return std::unique_ptr<ImageStore>(new ImageStore(std::move(index), blobs));
}

absl::StatusOr<ImageInfo> ImageStore::Load(const ImageRecord& record) {
  ImageInfo info;
  info.record = record;
  info.tags = index_.TagsOf(record.manifest_digest);
  ASSIGN_OR_RETURN(Digest manifest_digest,
                   Digest::Parse(record.manifest_digest));
  ASSIGN_OR_RETURN(info.manifest_json,
                   cache::GetBlob(*blobs_, manifest_digest, kMaxMetadataBytes));
  ASSIGN_OR_RETURN(info.manifest,
                   image::oci::Manifest::Parse(info.manifest_json));
  ASSIGN_OR_RETURN(
      info.config_json,
      cache::GetBlob(*blobs_, info.manifest.config.digest, kMaxMetadataBytes));
  ASSIGN_OR_RETURN(info.config,
                   image::oci::ImageConfig::Parse(info.config_json));
  return info;
}

absl::StatusOr<ImageInfo> ImageStore::DoAdd(
    const Digest& manifest_digest, const std::vector<std::string>& tags,
    int64_t size) {
  std::vector<std::string> normalized;
  for (const std::string& tag : tags) {
    ASSIGN_OR_RETURN(std::string n, NormalizeTag(tag));
    normalized.push_back(n);
  }
  absl::MutexLock lock(&mu_);
  ImageRecord record;
  record.manifest_digest = manifest_digest.ToString();
  ASSIGN_OR_RETURN(ImageInfo info, Load(record));
  std::vector<Digest> needed = BlobsOf(info);
  ASSIGN_OR_RETURN(std::vector<Digest> missing, blobs_->FindMissing(needed));
  if (!missing.empty()) {
    return absl::NotFoundError(
        absl::StrCat("image ", record.manifest_digest, " is incomplete: blob ",
                     missing[0].ToString(), " is not stored"));
  }
  record.config_digest = info.manifest.config.digest.ToString();
  record.created = info.config.created.value_or(absl::UnixEpoch());
  if (size < 0) {
    size = 0;
    for (const auto& layer : info.manifest.layers) size += layer.size;
  }
  record.size = size;
  index_.images()[record.manifest_digest] = record;
  for (const std::string& tag : normalized) {
    index_.tags()[tag] = record.manifest_digest;
  }
  RETURN_IF_ERROR(index_.Save());
  info.record = record;
  info.tags = index_.TagsOf(record.manifest_digest);
  return info;
}

absl::StatusOr<std::string> ImageStore::Find(absl::string_view reference) {
  absl::string_view hex = reference;
  bool prefixed = absl::StartsWith(hex, "sha256:");
  if (prefixed) hex.remove_prefix(7);
  // An image id, a manifest digest, or a unique prefix of an id.
  if (IsHex(hex) && (prefixed || hex.size() <= 64)) {
    std::vector<std::string> matches;
    for (const auto& [digest, record] : index_.images()) {
      absl::string_view id = absl::string_view(record.config_digest).substr(7);
      absl::string_view m = absl::string_view(digest).substr(7);
      if (absl::StartsWith(id, hex) || (hex.size() == 64 && m == hex)) {
        matches.push_back(digest);
      }
    }
    if (matches.size() == 1) return matches[0];
    if (matches.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("short id \"", reference, "\" is ambiguous"));
    }
    if (prefixed) return NoSuchImage(reference);
  }
  absl::StatusOr<image::registry::Reference> ref =
      image::registry::Reference::Parse(reference);
  if (!ref.ok()) return NoSuchImage(reference);
  if (ref->digest().has_value()) {
    std::string digest = ref->digest()->ToString();
    if (index_.images().count(digest)) return digest;
    return NoSuchImage(reference);
  }
  auto it = index_.tags().find(ref->String());
  if (it == index_.tags().end()) return NoSuchImage(reference);
  return it->second;
}

absl::StatusOr<ImageInfo> ImageStore::Get(absl::string_view reference) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::string digest, Find(reference));
  return Load(index_.images().at(digest));
}

absl::StatusOr<std::vector<ImageInfo>> ImageStore::List(bool all) {
  absl::MutexLock lock(&mu_);
  std::vector<ImageInfo> out;
  for (const auto& [digest, record] : index_.images()) {
    if (!all && index_.TagsOf(digest).empty()) continue;
    ASSIGN_OR_RETURN(ImageInfo info, Load(record));
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ImageInfo& a, const ImageInfo& b) {
                     return a.record.created > b.record.created;
                   });
  return out;
}

absl::Status ImageStore::Tag(absl::string_view source,
                             absl::string_view target) {
  ASSIGN_OR_RETURN(std::string tag, NormalizeTag(target));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::string digest, Find(source));
  index_.tags()[tag] = digest;
  return index_.Save();
}

absl::StatusOr<RemoveResult> ImageStore::DoRemove(absl::string_view reference,
                                                  bool force) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::string digest, Find(reference));
  RemoveResult result;
  std::vector<std::string> tags = index_.TagsOf(digest);
  absl::StatusOr<std::string> as_tag = NormalizeTag(reference);
  bool by_tag = as_tag.ok() && index_.tags().count(*as_tag) &&
                index_.tags().at(*as_tag) == digest;
  if (by_tag) {
    index_.tags().erase(*as_tag);
    result.untagged.push_back(FamiliarName(*as_tag));
  } else {
    if (tags.size() > 1 && !force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "conflict: unable to delete ", ShortId(digest),
          " (must be forced) - image is referenced in multiple repositories"));
    }
    for (const std::string& tag : tags) {
      index_.tags().erase(tag);
      result.untagged.push_back(FamiliarName(tag));
    }
  }
  if (index_.TagsOf(digest).empty()) {
    result.deleted.push_back(index_.images().at(digest).config_digest);
    RETURN_IF_ERROR(DeleteImages({digest}).status());
  }
  RETURN_IF_ERROR(index_.Save());
  return result;
}

absl::StatusOr<PruneImagesResult> ImageStore::DoPrune(bool all) {
  absl::MutexLock lock(&mu_);
  PruneImagesResult result;
  std::vector<std::string> doomed;
  for (const auto& [digest, record] : index_.images()) {
    if (all || index_.TagsOf(digest).empty()) {
      doomed.push_back(digest);
      result.deleted.push_back(record.config_digest);
    }
  }
  if (all) index_.tags().clear();
  ASSIGN_OR_RETURN(result.reclaimed_bytes, DeleteImages(doomed));
  RETURN_IF_ERROR(index_.Save());
  return result;
}

absl::StatusOr<int64_t> ImageStore::DeleteImages(
    const std::vector<std::string>& digests) {
  absl::flat_hash_set<Digest> candidates;
  for (const std::string& digest : digests) {
    absl::StatusOr<ImageInfo> info = Load(index_.images().at(digest));
    if (info.ok()) {
      for (const Digest& blob : BlobsOf(*info)) candidates.insert(blob);
    }
    index_.images().erase(digest);
  }
  // Keep what the remaining images still need.
  for (const auto& [digest, record] : index_.images()) {
    absl::StatusOr<ImageInfo> info = Load(record);
    if (!info.ok()) continue;
    for (const Digest& blob : BlobsOf(*info)) candidates.erase(blob);
  }
  int64_t reclaimed = 0;
  for (const Digest& blob : candidates) {
    absl::StatusOr<cache::BlobInfo> stat = blobs_->Stat(blob);
    if (!stat.ok()) continue;
    RETURN_IF_ERROR(blobs_->Delete(blob));
    reclaimed += stat->size;
  }
  return reclaimed;
}

absl::StatusOr<ImageInfo> ImageStore::Add(const Digest& manifest_digest,
                                          const std::vector<std::string>& tags,
                                          int64_t size) {
  absl::StatusOr<ImageInfo> added = DoAdd(manifest_digest, tags, size);
  if (added.ok()) NotifyChanged();
  return added;
}

absl::StatusOr<RemoveResult> ImageStore::Remove(absl::string_view reference,
                                                bool force) {
  absl::StatusOr<RemoveResult> removed = DoRemove(reference, force);
  if (removed.ok()) NotifyChanged();
  return removed;
}

absl::StatusOr<PruneImagesResult> ImageStore::Prune(bool all) {
  absl::StatusOr<PruneImagesResult> pruned = DoPrune(all);
  if (pruned.ok()) NotifyChanged();
  return pruned;
}

void ImageStore::OnImagesChanged(
    std::function<void(absl::flat_hash_set<Digest>)> listener) {
  {
    absl::MutexLock lock(&mu_);
    listener_ = std::move(listener);
  }
  NotifyChanged();
}

void ImageStore::NotifyChanged() {
  std::function<void(absl::flat_hash_set<Digest>)> listener;
  {
    absl::MutexLock lock(&mu_);
    listener = listener_;
  }
  if (listener) listener(ReferencedBlobs());
}

absl::flat_hash_set<Digest> ImageStore::ReferencedBlobs() {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<Digest> out;
  for (const auto& [digest, record] : index_.images()) {
    absl::StatusOr<ImageInfo> info = Load(record);
    if (!info.ok()) continue;
    for (const Digest& blob : BlobsOf(*info)) out.insert(blob);
  }
  return out;
}

}  // namespace farm::scheduler
