#include "scheduler/etcd_image_index_storage.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::scheduler {
namespace {

absl::Status BadKey(const std::string& key, const absl::Status& cause) {
  return absl::DataLossError(
      absl::StrCat("image index key ", key, ": ", cause.message()));
}

}  // namespace

EtcdImageIndexStorage::EtcdImageIndexStorage(etcd::EtcdClient* client,
                                             std::string prefix,
                                             FencedWriter write)
    : client_(client),
      images_(absl::StrCat(prefix, "/images/")),
      tags_(absl::StrCat(prefix, "/tags/")),
      write_(std::move(write)) {}

absl::StatusOr<ImageIndex> EtcdImageIndexStorage::Load() {
  etcd::TxnRequest read;
  read.success = {etcd::Op::Get(images_, /*prefix=*/true),
                  etcd::Op::Get(tags_, /*prefix=*/true)};
  absl::StatusOr<etcd::TxnResponse> r = client_->Txn(read);
  if (r.ok() && r->ranges.size() != 2) {
    r = absl::InternalError("etcd answered a different number of ranges");
  }
  if (!r.ok()) {
    return Annotate(r.status(), absl::StrCat("reading the image index under ",
                                             images_, " and ", tags_));
  }
  ImageIndex index;
  RETURN_IF_ERROR(ReadImages(r->ranges[0], index));
  RETURN_IF_ERROR(ReadTags(r->ranges[1], index));
  Keys seen;
  for (const auto& range : r->ranges) {
    for (const etcd::KeyValue& kv : range) seen[kv.key] = kv.value;
  }
  saved_ = std::move(seen);
  return index;
}

absl::Status EtcdImageIndexStorage::ReadImages(
    const std::vector<etcd::KeyValue>& kvs, ImageIndex& index) const {
  for (const etcd::KeyValue& kv : kvs) {
    absl::StatusOr<std::string> digest =
        UnescapeKeyPart(absl::string_view(kv.key).substr(images_.size()));
    if (!digest.ok()) return BadKey(kv.key, digest.status());
    absl::StatusOr<ImageRecord> record =
        ParseImageRecordJson(*digest, kv.value, /*legacy_tenant=*/"");
    if (!record.ok()) return BadKey(kv.key, record.status());
    index.images()[*digest] = *std::move(record);
  }
  return absl::OkStatus();
}

absl::Status EtcdImageIndexStorage::ReadTags(
    const std::vector<etcd::KeyValue>& kvs, ImageIndex& index) const {
  for (const etcd::KeyValue& kv : kvs) {
    absl::string_view rest = absl::string_view(kv.key).substr(tags_.size());
    const size_t slash = rest.find('/');
    if (slash == absl::string_view::npos) {
      return BadKey(kv.key, absl::InvalidArgumentError("not TENANT/TAG"));
    }
    absl::StatusOr<std::string> tenant = UnescapeKeyPart(rest.substr(0, slash));
    if (!tenant.ok()) return BadKey(kv.key, tenant.status());
    // Rejects a second '/'.
    absl::StatusOr<std::string> tag = UnescapeKeyPart(rest.substr(slash + 1));
    if (!tag.ok()) return BadKey(kv.key, tag.status());
    index.tags(*tenant)[*tag] = kv.value;
  }
  return absl::OkStatus();
}

EtcdImageIndexStorage::Keys EtcdImageIndexStorage::KeysOf(
    const ImageIndex& index) const {
  Keys out;
  for (const auto& [digest, record] : index.images()) {
    out[images_ + EscapeKeyPart(digest)] = ImageRecordJson(record);
  }
  for (const auto& [tenant, tags] : index.all_tags()) {
    for (const auto& [tag, digest] : tags) {
      out[absl::StrCat(tags_, EscapeKeyPart(tenant), "/", EscapeKeyPart(tag))] =
          digest;
    }
  }
  return out;
}

absl::Status EtcdImageIndexStorage::Save(const ImageIndex& index) {
  Keys want = KeysOf(index);
  std::vector<etcd::Op> put_images, put_tags, delete_tags, delete_images;
  for (const auto& [key, value] : want) {
    auto it = saved_.find(key);
    if (it != saved_.end() && it->second == value) continue;
    (absl::StartsWith(key, images_) ? put_images : put_tags)
        .push_back(etcd::Op::Put(key, value));
  }
  for (const auto& [key, value] : saved_) {
    if (want.count(key)) continue;
    (absl::StartsWith(key, images_) ? delete_images : delete_tags)
        .push_back(etcd::Op::Delete(key));
  }
  std::vector<etcd::Op> ops = std::move(put_images);
  for (auto* more : {&put_tags, &delete_tags, &delete_images}) {
    ops.insert(ops.end(), more->begin(), more->end());
  }
  RETURN_IF_ERROR(Write(ops));
  saved_ = std::move(want);
  return absl::OkStatus();
}

absl::Status EtcdImageIndexStorage::Write(const std::vector<etcd::Op>& ops) {
  for (size_t begin = 0; begin < ops.size(); begin += kMaxOpsPerTxn) {
    const size_t end = std::min(ops.size(), begin + kMaxOpsPerTxn);
    etcd::TxnRequest txn;
    txn.success.assign(ops.begin() + begin, ops.begin() + end);
    absl::StatusOr<etcd::TxnResponse> r = write_(std::move(txn));
    if (absl::IsFailedPrecondition(r.status())) return r.status();
    const std::string what =
        absl::StrCat("writing ", end - begin, " image index keys from ",
                     ops[begin].key, " to ", ops[end - 1].key);
    if (!r.ok()) return Annotate(r.status(), what);
    if (!r->succeeded) {
      return absl::AbortedError(absl::StrCat(what, ": the transaction failed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::scheduler
