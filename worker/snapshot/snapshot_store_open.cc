// SnapshotStore's start: opening the store and cleaning what a crash left.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/snapshot/overlay_mount.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::snapshot {

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(
    SnapshotStoreOptions options, cache::BlobStore* blobs) {
  if (options.root.empty()) {
    return absl::InvalidArgumentError("snapshot store: no root directory");
  }
  ASSIGN_OR_RETURN(options.root, AbsolutePath(options.root));
  options.apply.mode = image::layer::ApplyMode::kOverlay;
  std::unique_ptr<SnapshotStore> store(
      new SnapshotStore(std::move(options), blobs));
  RETURN_IF_ERROR(Annotate(store->Recover(),
                           "opening snapshot store " + store->layout_.root()));
  return store;
}

namespace {

// This boot of the machine's kernel; "" if it cannot be read.
std::string BootId() {
  absl::StatusOr<std::string> id = ReadFile("/proc/sys/kernel/random/boot_id");
  return id.ok() ? std::string(absl::StripAsciiWhitespace(*id)) : "";
}

}  // namespace

absl::Status SnapshotStore::Recover() {
  RETURN_IF_ERROR(layout_.MakeDirs());
  // Layers are committed from volatile overlays and unpacked without
  // fsync, so only a store last opened in this boot can trust them: after
  // the machine itself went down they may be torn. Then the store starts
  // empty, and layers come from the CAS again.
  const std::string boot = BootId();
  absl::StatusOr<std::string> last = ReadFile(layout_.BootIdFile());
  if (boot.empty() || !last.ok() || *last != boot) {
    ASSIGN_OR_RETURN(std::vector<std::string> layers,
                     ListDir(layout_.LayersDir()));
    if (!layers.empty()) {
      FARM_LOG(WARNING) << "snapshot store: the machine restarted since "
                        << layout_.root() << " was last opened; dropping its "
                        << layers.size() << " layers";
    }
    for (const std::string& name : layers) {
      RETURN_IF_ERROR(RemoveAll(JoinPath(layout_.LayersDir(), name)));
    }
    RETURN_IF_ERROR(WriteFileAtomic(layout_.BootIdFile(), boot, 0600));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> work, ListDir(layout_.WorkDir()));
  for (const std::string& name : work) {
    std::string dir = JoinPath(layout_.WorkDir(), name);
    std::string merged = dir + "/merged";
    RETURN_IF_ERROR(snapshot::Unmount(merged));
    if (IsMountPoint(merged)) {
      return absl::InternalError(
          absl::StrCat("leftover workspace ", merged, " stays mounted"));
    }
    RETURN_IF_ERROR(RemoveAll(dir));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> tmp, ListDir(layout_.TmpDir()));
  for (const std::string& name : tmp) {
    RETURN_IF_ERROR(RemoveAll(JoinPath(layout_.TmpDir(), name)));
  }
  RETURN_IF_ERROR(LoadLayers());
  return FixLinks();
}

absl::Status SnapshotStore::LoadLayers() {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   ListDir(layout_.LayersDir()));
  // Oldest first, so the LRU order survives a restart approximately: a
  // layer dir's mtime is when it was installed.
  std::vector<std::pair<int64_t, Digest>> found;
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    std::string dir = JoinPath(layout_.LayersDir(), name);
    absl::StatusOr<Digest> diff_id = Digest::Parse("sha256:" + name);
    absl::StatusOr<LayerMeta> meta =
        diff_id.ok() ? ReadLayerMeta(dir) : diff_id.status();
    if (!meta.ok() || !IsDirectory(dir + "/fs") ||
        links_.contains(meta->link)) {
      FARM_LOG(WARNING) << "snapshot store: dropping " << dir << ": "
                        << (meta.ok() ? "bad layer" : meta.status().ToString());
      RETURN_IF_ERROR(RemoveAll(dir));
      continue;
    }
    struct stat st;
    int64_t installed = stat(dir.c_str(), &st) == 0 ? st.st_mtime : 0;
    found.emplace_back(installed, *diff_id);
    links_[meta->link] = *diff_id;
    layers_[*diff_id] = Layer{*meta, 0};
  }
  std::sort(found.begin(), found.end());
  for (const auto& [installed, diff_id] : found) {
    lru_.Insert(diff_id, layers_[diff_id].meta.bytes);
  }
  return absl::OkStatus();
}

absl::Status SnapshotStore::FixLinks() {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(layout_.LinksDir()));
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    std::string path = JoinPath(layout_.LinksDir(), name);
    auto it = links_.find(name);
    if (it == links_.end() ||
        ReadLayerLink(path) != LayerLinkTarget(it->second)) {
      if (unlink(path.c_str()) != 0)
        return ErrnoStatus(errno, "unlink " + path);
    }
  }
  for (const auto& [link, diff_id] : links_) {
    std::string path = JoinPath(layout_.LinksDir(), link);
    if (ReadLayerLink(path) != LayerLinkTarget(diff_id)) {
      RETURN_IF_ERROR(MakeLayerLink(path, diff_id));
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::snapshot
