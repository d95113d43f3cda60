#include "scheduler/image_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/oci/media_types.h"
#include "image/registry/platform.h"
#include "image/registry/reference.h"
#include "scheduler/file_image_index_storage.h"

namespace farm::scheduler {

struct ImageCatalog {
  ImageCatalog(std::unique_ptr<ImageIndexStorage> storage, ImageIndex index,
               cache::BlobStore* blobs)
      : storage(std::move(storage)), index(std::move(index)), blobs(blobs) {}
  absl::Mutex mu;
  const std::unique_ptr<ImageIndexStorage> storage ABSL_PT_GUARDED_BY(mu);
  ImageIndex index ABSL_GUARDED_BY(mu);
  std::function<void(absl::flat_hash_set<Digest>)> listener ABSL_GUARDED_BY(mu);
  cache::BlobStore* const blobs;
};

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

std::string ConfigPlatform(const image::oci::ImageConfig& config) {
  image::oci::Platform p;
  p.os = config.os;
  p.architecture = config.architecture;
  p.variant = config.variant;
  return image::registry::PlatformString(image::registry::NormalizePlatform(p));
}

// Parses `json` as an image manifest into `out` and reads its config.
absl::Status LoadManifest(cache::BlobStore& blobs, std::string json,
                          PlatformManifest* out) {
  out->manifest_json = std::move(json);
  ASSIGN_OR_RETURN(out->manifest,
                   image::oci::Manifest::Parse(out->manifest_json));
  ASSIGN_OR_RETURN(
      out->config_json,
      cache::GetBlob(blobs, out->manifest.config.digest, kMaxMetadataBytes));
  ASSIGN_OR_RETURN(out->config,
                   image::oci::ImageConfig::Parse(out->config_json));
  return absl::OkStatus();
}

// `info` with its single-image fields set from `one`.
void ShowPlatform(const PlatformManifest& one, ImageInfo* info) {
  info->manifest_json = one.manifest_json;
  info->manifest = one.manifest;
  info->config_json = one.config_json;
  info->config = one.config;
}

}  // namespace

std::vector<Digest> ImageBlobs(const ImageInfo& info) {
  std::vector<Digest> out;
  absl::StatusOr<Digest> manifest = Digest::Parse(info.record.manifest_digest);
  if (manifest.ok()) out.push_back(*manifest);
  auto add = [&out](const image::oci::Manifest& m) {
    out.push_back(m.config.digest);
    for (const auto& layer : m.layers) out.push_back(layer.digest);
  };
  if (!info.is_index()) {
    add(info.manifest);
    return out;
  }
  for (const PlatformManifest& one : info.platforms) {
    out.push_back(one.manifest_digest);
    add(one.manifest);
  }
  return out;
}

std::string DefaultPlatformOf(const ImageInfo& info) {
  if (info.platforms.empty()) return "";
  for (const PlatformManifest& one : info.platforms) {
    if (one.platform == "linux/amd64") return one.platform;
  }
  return info.platforms[0].platform;
}

absl::StatusOr<ImageInfo> ForPlatform(const ImageInfo& info,
                                      absl::string_view platform) {
  ASSIGN_OR_RETURN(image::oci::Platform want,
                   image::registry::ParsePlatform(platform));
  std::vector<std::string> offered;
  auto matches = [&](const std::string& have) {
    absl::StatusOr<image::oci::Platform> parsed =
        image::registry::ParsePlatform(have);
    return parsed.ok() && image::registry::PlatformMatches(want, *parsed);
  };
  if (!info.is_index()) {
    std::string have = ConfigPlatform(info.config);
    if (info.config.architecture.empty() || matches(have)) return info;
    offered.push_back(have);
  }
  for (const PlatformManifest& one : info.platforms) {
    if (!matches(one.platform)) {
      offered.push_back(one.platform);
      continue;
    }
    ImageInfo out = info;
    out.index_json.clear();
    out.platforms.clear();
    out.record.manifest_digest = one.manifest_digest.ToString();
    out.record.config_digest = one.manifest.config.digest.ToString();
    out.record.created = one.config.created.value_or(absl::UnixEpoch());
    out.record.size = 0;
    for (const auto& layer : one.manifest.layers) {
      out.record.size += layer.size;
    }
    ShowPlatform(one, &out);
    return out;
  }
  return absl::NotFoundError(absl::StrCat(
      "image ", ShortId(info.record.config_digest), " has no ",
      image::registry::PlatformString(image::registry::NormalizePlatform(want)),
      " image; it has ", absl::StrJoin(offered, ", ")));
}

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

namespace {

absl::StatusOr<std::shared_ptr<ImageCatalog>> OpenCatalog(
    std::unique_ptr<ImageIndexStorage> storage, cache::BlobStore* blobs) {
  ASSIGN_OR_RETURN(ImageIndex index, storage->Load());
  return std::make_shared<ImageCatalog>(std::move(storage), std::move(index),
                                        blobs);
}

// The index file in `dir`, where a scheduler without etcd keeps it.
absl::StatusOr<std::unique_ptr<ImageIndexStorage>> FileStorageIn(
    const std::string& dir, const std::string& default_tenant) {
  RETURN_IF_ERROR(MakeDirs(dir));
  return std::make_unique<FileImageIndexStorage>(JoinPath(dir, "images.json"),
                                                 default_tenant);
}

// An image's record, blobs and `tenant`'s tags of it; the lock is held.
absl::StatusOr<ImageInfo> LoadRecord(ImageCatalog& catalog,
                                     const ImageRecord& record,
                                     const std::string& tenant)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(catalog.mu) {
  cache::BlobStore* blobs = catalog.blobs;
  ImageInfo info;
  info.record = record;
  info.tenant = tenant;
  info.tags = catalog.index.TagsOf(tenant, record.manifest_digest);
  ASSIGN_OR_RETURN(Digest manifest_digest,
                   Digest::Parse(record.manifest_digest));
  ASSIGN_OR_RETURN(std::string json,
                   cache::GetBlob(*blobs, manifest_digest, kMaxMetadataBytes));
  ASSIGN_OR_RETURN(std::string media_type, image::oci::SniffMediaType(json));
  if (!image::oci::IsIndexType(media_type)) {
    PlatformManifest only;
    RETURN_IF_ERROR(LoadManifest(*blobs, std::move(json), &only));
    ShowPlatform(only, &info);
    return info;
  }
  ASSIGN_OR_RETURN(image::oci::Index index, image::oci::Index::Parse(json));
  info.index_json = std::move(json);
  for (const image::oci::Descriptor& entry : index.manifests) {
    PlatformManifest one;
    one.manifest_digest = entry.digest;
    ASSIGN_OR_RETURN(std::string manifest_json,
                     cache::GetBlob(*blobs, entry.digest, kMaxMetadataBytes));
    RETURN_IF_ERROR(LoadManifest(*blobs, std::move(manifest_json), &one));
    one.platform =
        entry.platform.has_value()
            ? image::registry::PlatformString(
                  image::registry::NormalizePlatform(*entry.platform))
            : ConfigPlatform(one.config);
    info.platforms.push_back(std::move(one));
  }
  if (info.platforms.empty()) {
    return absl::DataLossError(absl::StrCat(
        "image index ", record.manifest_digest, " lists no manifest"));
  }
  const std::string shown = DefaultPlatformOf(info);
  for (const PlatformManifest& one : info.platforms) {
    if (one.platform == shown) {
      ShowPlatform(one, &info);
      break;
    }
  }
  return info;
}

absl::flat_hash_set<Digest> CatalogBlobs(ImageCatalog& catalog) {
  absl::MutexLock lock(&catalog.mu);
  absl::flat_hash_set<Digest> out;
  for (const auto& [digest, record] : catalog.index.images()) {
    absl::StatusOr<ImageInfo> info = LoadRecord(catalog, record, "");
    if (!info.ok()) continue;
    for (const Digest& blob : ImageBlobs(*info)) out.insert(blob);
  }
  return out;
}

// Tells the catalog's listener about the current images; call without the
// lock.
void NotifyCatalog(ImageCatalog& catalog) {
  std::function<void(absl::flat_hash_set<Digest>)> listener;
  {
    absl::MutexLock lock(&catalog.mu);
    listener = catalog.listener;
  }
  if (listener) listener(CatalogBlobs(catalog));
}

void ListenToCatalog(
    ImageCatalog& catalog,
    std::function<void(absl::flat_hash_set<Digest>)> listener) {
  {
    absl::MutexLock lock(&catalog.mu);
    catalog.listener = std::move(listener);
  }
  NotifyCatalog(catalog);
}

}  // namespace

ImageStore::ImageStore(std::shared_ptr<ImageCatalog> catalog,
                       std::string tenant)
    : catalog_(std::move(catalog)), tenant_(std::move(tenant)) {}

ImageStore::~ImageStore() = default;

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::Open(
    const std::string& dir, cache::BlobStore* blobs) {
  ASSIGN_OR_RETURN(std::unique_ptr<ImageIndexStorage> storage,
                   FileStorageIn(dir, "default"));
  ASSIGN_OR_RETURN(std::shared_ptr<ImageCatalog> catalog,
                   OpenCatalog(std::move(storage), blobs));
  return std::unique_ptr<ImageStore>(
      new ImageStore(std::move(catalog), "default"));
}

absl::StatusOr<ImageInfo> ImageStore::Load(const ImageRecord& record) {
  return LoadRecord(*catalog_, record, tenant_);
}

absl::StatusOr<ImageInfo> ImageStore::DoAdd(
    const Digest& manifest_digest, const std::vector<std::string>& tags,
    int64_t size) {
  std::vector<std::string> normalized;
  for (const std::string& tag : tags) {
    ASSIGN_OR_RETURN(std::string n, NormalizeTag(tag));
    normalized.push_back(n);
  }
  absl::MutexLock lock(&catalog_->mu);
  ImageIndex& index = catalog_->index;
  ImageRecord record;
  record.manifest_digest = manifest_digest.ToString();
  ASSIGN_OR_RETURN(ImageInfo info, Load(record));
  std::vector<Digest> needed = ImageBlobs(info);
  ASSIGN_OR_RETURN(std::vector<Digest> missing,
                   catalog_->blobs->FindMissing(needed));
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
  if (info.is_index()) {
    // Its id is the index's digest, as in Docker's containerd image store.
    record.config_digest = record.manifest_digest;
    size = 0;
    for (const PlatformManifest& one : info.platforms) {
      record.created = std::max(record.created,
                                one.config.created.value_or(absl::UnixEpoch()));
      for (const auto& layer : one.manifest.layers) size += layer.size;
    }
  }
  record.size = size;
  auto existing = index.images().find(record.manifest_digest);
  if (existing != index.images().end()) {
    record.tenants = existing->second.tenants;
  }
  record.tenants.insert(tenant_);
  index.images()[record.manifest_digest] = record;
  for (const std::string& tag : normalized) {
    index.tags(tenant_)[tag] = record.manifest_digest;
  }
  RETURN_IF_ERROR(catalog_->storage->Save(index));
  info.record = record;
  info.tags = index.TagsOf(tenant_, record.manifest_digest);
  return info;
}

absl::StatusOr<std::string> ImageStore::Find(absl::string_view reference) {
  const ImageIndex& index = catalog_->index;
  auto owned = [&](const std::string& digest) {
    auto it = index.images().find(digest);
    return it != index.images().end() && it->second.tenants.count(tenant_);
  };
  absl::string_view hex = reference;
  bool prefixed = absl::StartsWith(hex, "sha256:");
  if (prefixed) hex.remove_prefix(7);
  // An image id, a manifest digest, or a unique prefix of an id.
  if (IsHex(hex) && (prefixed || hex.size() <= 64)) {
    std::vector<std::string> matches;
    for (const auto& [digest, record] : index.images()) {
      if (!record.tenants.count(tenant_)) continue;
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
    if (owned(digest)) return digest;
    return NoSuchImage(reference);
  }
  ImageIndex::Tags& tags = catalog_->index.tags(tenant_);
  auto it = tags.find(ref->String());
  if (it == tags.end()) return NoSuchImage(reference);
  return it->second;
}

absl::StatusOr<ImageInfo> ImageStore::Get(absl::string_view reference) {
  absl::MutexLock lock(&catalog_->mu);
  ASSIGN_OR_RETURN(std::string digest, Find(reference));
  return Load(catalog_->index.images().at(digest));
}

absl::StatusOr<std::vector<ImageInfo>> ImageStore::List(bool all) {
  absl::MutexLock lock(&catalog_->mu);
  const ImageIndex& index = catalog_->index;
  std::vector<ImageInfo> out;
  for (const auto& [digest, record] : index.images()) {
    if (!record.tenants.count(tenant_)) continue;
    if (!all && index.TagsOf(tenant_, digest).empty()) continue;
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
  absl::MutexLock lock(&catalog_->mu);
  ASSIGN_OR_RETURN(std::string digest, Find(source));
  catalog_->index.tags(tenant_)[tag] = digest;
  return catalog_->storage->Save(catalog_->index);
}

absl::StatusOr<RemoveResult> ImageStore::DoRemove(absl::string_view reference,
                                                  bool force,
                                                  Orphans* orphans) {
  absl::MutexLock lock(&catalog_->mu);
  ImageIndex& index = catalog_->index;
  ImageIndex::Tags& own_tags = index.tags(tenant_);
  ASSIGN_OR_RETURN(std::string digest, Find(reference));
  RemoveResult result;
  std::vector<std::string> tags = index.TagsOf(tenant_, digest);
  absl::StatusOr<std::string> as_tag = NormalizeTag(reference);
  bool by_tag =
      as_tag.ok() && own_tags.count(*as_tag) && own_tags.at(*as_tag) == digest;
  if (by_tag) {
    own_tags.erase(*as_tag);
    result.untagged.push_back(FamiliarName(*as_tag));
  } else {
    if (tags.size() > 1 && !force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "conflict: unable to delete ", ShortId(digest),
          " (must be forced) - image is referenced in multiple repositories"));
    }
    for (const std::string& tag : tags) {
      own_tags.erase(tag);
      result.untagged.push_back(FamiliarName(tag));
    }
  }
  if (index.TagsOf(tenant_, digest).empty()) {
    result.deleted.push_back(index.images().at(digest).config_digest);
    Release({digest}, orphans);
  }
  RETURN_IF_ERROR(catalog_->storage->Save(index));
  return result;
}

absl::StatusOr<PruneImagesResult> ImageStore::DoPrune(bool all,
                                                      Orphans* orphans) {
  absl::MutexLock lock(&catalog_->mu);
  ImageIndex& index = catalog_->index;
  PruneImagesResult result;
  std::vector<std::string> doomed;
  for (const auto& [digest, record] : index.images()) {
    if (!record.tenants.count(tenant_)) continue;
    if (all || index.TagsOf(tenant_, digest).empty()) {
      doomed.push_back(digest);
      result.deleted.push_back(record.config_digest);
    }
  }
  if (all) index.tags(tenant_).clear();
  Release(doomed, orphans);
  RETURN_IF_ERROR(catalog_->storage->Save(index));
  return result;
}

void ImageStore::Release(const std::vector<std::string>& digests,
                         Orphans* orphans) {
  ImageIndex& index = catalog_->index;
  for (const std::string& digest : digests) {
    ImageRecord& record = index.images().at(digest);
    record.tenants.erase(tenant_);
    if (!record.tenants.empty()) continue;  // another tenant still holds it
    absl::StatusOr<ImageInfo> info = Load(record);
    if (info.ok()) {
      for (const Digest& blob : ImageBlobs(*info)) orphans->insert(blob);
    }
    index.images().erase(digest);
  }
  // Keep what the remaining images, of any tenant, still need.
  for (const auto& [digest, record] : index.images()) {
    absl::StatusOr<ImageInfo> info = Load(record);
    if (!info.ok()) continue;
    for (const Digest& blob : ImageBlobs(*info)) orphans->erase(blob);
  }
}

int64_t ImageStore::DeleteOrphans(const Orphans& orphans) {
  if (orphans.empty()) return 0;
  absl::MutexLock lock(&catalog_->mu);
  Orphans doomed = orphans;
  for (const auto& [digest, record] : catalog_->index.images()) {
    absl::StatusOr<ImageInfo> info = Load(record);
    if (!info.ok()) continue;
    for (const Digest& blob : ImageBlobs(*info)) doomed.erase(blob);
  }
  int64_t reclaimed = 0;
  for (const Digest& blob : doomed) {
    absl::StatusOr<cache::BlobInfo> stat = catalog_->blobs->Stat(blob);
    if (!stat.ok()) continue;
    absl::Status deleted = catalog_->blobs->Delete(blob);
    if (!deleted.ok()) {
      FARM_LOG(INFO) << "keeping blob " << blob.ToString() << ": " << deleted;
      continue;
    }
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
  Orphans orphans;
  absl::StatusOr<RemoveResult> removed = DoRemove(reference, force, &orphans);
  if (!removed.ok()) return removed;
  NotifyChanged();
  DeleteOrphans(orphans);
  return removed;
}

absl::StatusOr<PruneImagesResult> ImageStore::Prune(bool all, bool keep_blobs) {
  Orphans orphans;
  absl::StatusOr<PruneImagesResult> pruned = DoPrune(all, &orphans);
  if (!pruned.ok()) return pruned;
  NotifyChanged();
  if (!keep_blobs) pruned->reclaimed_bytes = DeleteOrphans(orphans);
  return pruned;
}

void ImageStore::OnImagesChanged(
    std::function<void(absl::flat_hash_set<Digest>)> listener) {
  ListenToCatalog(*catalog_, std::move(listener));
}

void ImageStore::NotifyChanged() { NotifyCatalog(*catalog_); }

absl::flat_hash_set<Digest> ImageStore::ReferencedBlobs() {
  return CatalogBlobs(*catalog_);
}

ImageStores::ImageStores(std::shared_ptr<ImageCatalog> catalog)
    : catalog_(std::move(catalog)) {}

ImageStores::~ImageStores() = default;

absl::StatusOr<std::unique_ptr<ImageStores>> ImageStores::Open(
    const std::string& dir, cache::BlobStore* blobs,
    const std::string& default_tenant) {
  ASSIGN_OR_RETURN(std::unique_ptr<ImageIndexStorage> storage,
                   FileStorageIn(dir, default_tenant));
  return Open(std::move(storage), blobs);
}

absl::StatusOr<std::unique_ptr<ImageStores>> ImageStores::Open(
    std::unique_ptr<ImageIndexStorage> storage, cache::BlobStore* blobs) {
  ASSIGN_OR_RETURN(std::shared_ptr<ImageCatalog> catalog,
                   OpenCatalog(std::move(storage), blobs));
  return std::unique_ptr<ImageStores>(new ImageStores(std::move(catalog)));
}

ImageStore* ImageStores::ForTenant(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<ImageStore>& store = stores_[tenant];
  if (store == nullptr) store.reset(new ImageStore(catalog_, tenant));
  return store.get();
}

std::vector<std::string> ImageStores::Tenants() {
  absl::MutexLock lock(&catalog_->mu);
  std::set<std::string> tenants = catalog_->index.tenants();
  return {tenants.begin(), tenants.end()};
}

absl::flat_hash_set<Digest> ImageStores::ReferencedBlobs() {
  return CatalogBlobs(*catalog_);
}

void ImageStores::OnImagesChanged(
    std::function<void(absl::flat_hash_set<Digest>)> listener) {
  ListenToCatalog(*catalog_, std::move(listener));
}

}  // namespace farm::scheduler
