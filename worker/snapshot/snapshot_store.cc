#include "worker/snapshot/snapshot_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/snapshot/layer_form.h"
#include "worker/snapshot/overlay_mount.h"

namespace farm::snapshot {

// An unpack in progress that other callers wait for.
struct SnapshotStore::InFlight {
  absl::Notification done;
  absl::Status status;
  int waiters = 0;  // guarded by the store's mu_
};

namespace {

constexpr size_t kLinkChars = 12;

// Indexes into `chain`, top layer first, each diffID only at its top-most
// place: a lower copy of a repeated layer shows nothing the upper one does
// not cover.
std::vector<size_t> TopMostFirstIndexes(const std::vector<Digest>& chain) {
  absl::flat_hash_set<Digest> seen;
  std::vector<size_t> keep;
  for (size_t i = chain.size(); i-- > 0;) {
    if (seen.insert(chain[i]).second) keep.push_back(i);
  }
  return keep;
}

}  // namespace

SnapshotStore::SnapshotStore(SnapshotStoreOptions options,
                             cache::BlobStore* blobs)
    : options_(std::move(options)), layout_(options_.root), blobs_(blobs) {}

SnapshotStore::~SnapshotStore() {
  for (const std::string& dir : TakeDoomed()) RemoveAll(dir).IgnoreError();
}

std::string SnapshotStore::NewTmpName(absl::string_view what) {
  return JoinPath(layout_.TmpDir(),
                  absl::StrCat(what, "-", next_name_.fetch_add(1)));
}

absl::StatusOr<std::unique_ptr<Workspace>> SnapshotStore::Mount(
    const std::vector<proto::LayerRef>& chain) {
  std::vector<Digest> diff_ids;
  for (const proto::LayerRef& ref : chain) {
    absl::StatusOr<Digest> d = Digest::Parse(ref.diff_id());
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", ref.digest(), ": bad diff_id \"",
                       ref.diff_id(), "\": ", d.status().message()));
    }
    diff_ids.push_back(*d);
  }
  std::vector<size_t> top_first = TopMostFirstIndexes(diff_ids);

  // References are taken one by one; the workspace owns them from the
  // start, so an error part-way releases what was taken.
  std::vector<Digest> held;
  std::vector<std::string> lower;
  auto give_back = [&] { Release(held); };
  for (size_t i : top_first) {
    absl::StatusOr<std::string> link = Acquire(chain[i], diff_ids[i]);
    if (!link.ok()) {
      give_back();
      return link.status();
    }
    held.push_back(diff_ids[i]);
    lower.push_back(StoreLayout::LinkOption(*link));
  }
  if (lower.empty()) lower.push_back("empty");
  std::reverse(held.begin(), held.end());

  std::string name = absl::StrCat(next_name_.fetch_add(1));
  std::string dir = JoinPath(layout_.WorkDir(), name);
  std::unique_ptr<Workspace> ws(new Workspace(this, dir, std::move(held)));
  for (const char* sub : {"/upper", "/work", "/merged"}) {
    RETURN_IF_ERROR(MakeDirs(dir + sub, 0755));
  }
  OverlaySpec spec;
  spec.lower = std::move(lower);
  spec.upper = absl::StrCat("work/", name, "/upper");
  spec.work = absl::StrCat("work/", name, "/work");
  // Nothing here needs to reach the disk before the step ends; a machine
  // crash empties the store instead (Recover).
  spec.volatile_upper = true;
  RETURN_IF_ERROR(MountOverlay(layout_.root(), spec, ws->rootfs()));
  return ws;
}

absl::StatusOr<std::string> SnapshotStore::Acquire(const proto::LayerRef& ref,
                                                   const Digest& diff_id) {
  std::shared_ptr<InFlight> flight;
  {
    absl::MutexLock lock(&mu_);
    auto it = layers_.find(diff_id);
    if (it != layers_.end()) {
      ++it->second.refs;
      lru_.Touch(diff_id);
      return it->second.meta.link;
    }
    auto f = unpacking_.find(diff_id);
    if (f != unpacking_.end()) {
      ++f->second->waiters;  // the unpacker takes a reference for us
      flight = f->second;
    } else {
      unpacking_[diff_id] = std::make_shared<InFlight>();
    }
  }
  if (flight != nullptr) {
    flight->done.WaitForNotification();
    RETURN_IF_ERROR(flight->status);
    absl::MutexLock lock(&mu_);
    return layers_.at(diff_id).meta.link;
  }

  absl::StatusOr<std::string> staged = Unpack(ref, diff_id);
  absl::StatusOr<uint64_t> bytes =
      staged.ok() ? DiskUsage(*staged + "/fs") : staged.status();
  absl::StatusOr<LayerMeta> meta;
  std::shared_ptr<InFlight> mine;
  {
    absl::MutexLock lock(&mu_);
    mine = unpacking_.at(diff_id);
    unpacking_.erase(diff_id);
    meta = bytes.ok() ? Install(*staged, diff_id, *bytes, 1 + mine->waiters)
                      : bytes.status();
    mine->status = meta.status();
    if (meta.ok()) EvictLocked();
  }
  mine->done.Notify();
  if (!meta.ok() && staged.ok()) RemoveAll(*staged).IgnoreError();
  for (const std::string& dir : TakeDoomed()) RemoveAll(dir).IgnoreError();
  if (!meta.ok()) return meta.status();
  return meta->link;
}

absl::StatusOr<std::string> SnapshotStore::Unpack(const proto::LayerRef& ref,
                                                  const Digest& diff_id) {
  std::string label = absl::StrCat("layer ", ref.digest());
  absl::StatusOr<Digest> digest = Digest::Parse(ref.digest());
  if (!digest.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": ", digest.status().message()));
  }
  std::string staged = NewTmpName("unpack");
  absl::Status s = MakeDirs(staged + "/fs", 0755);
  absl::StatusOr<std::unique_ptr<ByteReader>> blob =
      s.ok() ? blobs_->Get(*digest) : s;
  absl::StatusOr<image::layer::ApplyResult> applied =
      blob.ok() ? image::layer::ApplyLayer(blob->get(), staged + "/fs",
                                           options_.apply)
                : blob.status();
  if (applied.ok() && applied->diff_id != diff_id) {
    applied = absl::DataLossError(absl::StrCat("unpacks to diff_id ",
                                               applied->diff_id.ToString(),
                                               ", not ", diff_id.ToString()));
  }
  if (!applied.ok()) {
    RemoveAll(staged).IgnoreError();
    return Annotate(applied.status(), label);
  }
  return staged;
}

absl::StatusOr<LayerMeta> SnapshotStore::Install(const std::string& staged,
                                                 const Digest& diff_id,
                                                 uint64_t bytes, int refs) {
  LayerMeta meta;
  meta.bytes = bytes;
  for (size_t n = kLinkChars; n <= diff_id.hex().size(); n += 4) {
    std::string candidate = diff_id.hex().substr(0, n);
    if (!links_.contains(candidate)) {
      meta.link = candidate;
      break;
    }
  }
  if (meta.link.empty()) return absl::InternalError("no free link name");
  RETURN_IF_ERROR(WriteLayerMeta(staged, meta));
  std::string final_dir = layout_.LayerDir(diff_id);
  RETURN_IF_ERROR(RemoveAll(final_dir));  // only a stray from outside
  if (rename(staged.c_str(), final_dir.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("installing ", final_dir));
  }
  absl::Status linked =
      MakeLayerLink(JoinPath(layout_.LinksDir(), meta.link), diff_id);
  if (!linked.ok()) {
    // No half-installed layer: back to `staged`, which the caller removes.
    if (rename(final_dir.c_str(), staged.c_str()) != 0) {
      RemoveAll(final_dir).IgnoreError();
    }
    return linked;
  }
  links_[meta.link] = diff_id;
  layers_[diff_id] = Layer{meta, refs};
  lru_.Insert(diff_id, bytes);
  return meta;
}

void SnapshotStore::Release(const std::vector<Digest>& layers) {
  {
    absl::MutexLock lock(&mu_);
    for (const Digest& d : layers) {
      auto it = layers_.find(d);
      if (it != layers_.end() && it->second.refs > 0) --it->second.refs;
    }
    EvictLocked();
  }
  for (const std::string& dir : TakeDoomed()) RemoveAll(dir).IgnoreError();
}

absl::Status SnapshotStore::Adopt(const std::string& upper,
                                  const Digest& diff_id,
                                  std::optional<int64_t> source_date_epoch) {
  {
    absl::MutexLock lock(&mu_);
    if (layers_.contains(diff_id) || unpacking_.contains(diff_id)) {
      return absl::OkStatus();  // the same content is (being) stored
    }
  }
  ASSIGN_OR_RETURN(uint64_t bytes, ToLayerForm(upper, source_date_epoch));
  std::string staged = NewTmpName("commit");
  // Whatever fails on the way (ENOSPC, most likely), no part of the commit
  // stays: the store holds whole layers or none.
  absl::Cleanup remove_staged = [&staged] {
    if (PathExists(staged)) RemoveAll(staged).IgnoreError();
  };
  RETURN_IF_ERROR(MakeDirs(staged, 0755));
  if (rename(upper.c_str(), (staged + "/fs").c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("moving ", upper));
  }
  absl::Status s;
  {
    absl::MutexLock lock(&mu_);
    if (!layers_.contains(diff_id) && !unpacking_.contains(diff_id)) {
      s = Install(staged, diff_id, bytes, 0).status();
      if (s.ok()) EvictLocked();
    }
  }
  for (const std::string& dir : TakeDoomed()) RemoveAll(dir).IgnoreError();
  return s;
}

void SnapshotStore::EvictLocked() {
  if (options_.max_bytes == 0 || lru_.total_bytes() <= options_.max_bytes) {
    return;
  }
  absl::flat_hash_set<Digest> keep;
  for (const auto& [d, layer] : layers_) {
    if (layer.refs > 0) keep.insert(d);
  }
  for (const auto& [d, bytes] : lru_.Victims(options_.max_bytes, keep)) {
    const std::string& link = layers_.at(d).meta.link;
    std::string link_path = JoinPath(layout_.LinksDir(), link);
    unlink(link_path.c_str());
    std::string doomed = NewTmpName("evict");
    // Moving the dir away at once frees the name for a new unpack of the
    // same layer; the slow delete happens outside the lock.
    if (rename(layout_.LayerDir(d).c_str(), doomed.c_str()) != 0) {
      FARM_LOG(WARNING) << "snapshot store: evicting " << d.ToString() << ": "
                        << strerror(errno);
      MakeLayerLink(link_path, d).IgnoreError();
      continue;
    }
    doomed_.push_back(doomed);
    links_.erase(link);
    layers_.erase(d);
    lru_.Erase(d);
  }
}

std::vector<std::string> SnapshotStore::TakeDoomed() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.swap(doomed_);
  return out;
}

StoreSummary SnapshotStore::Summary() const {
  absl::MutexLock lock(&mu_);
  StoreSummary summary;
  summary.bytes = lru_.total_bytes();
  for (const auto& [d, layer] : layers_)
    summary.diff_ids.push_back(d.ToString());
  std::sort(summary.diff_ids.begin(), summary.diff_ids.end());
  return summary;
}

bool SnapshotStore::Contains(const Digest& diff_id) const {
  absl::MutexLock lock(&mu_);
  return layers_.contains(diff_id);
}

}  // namespace farm::snapshot
