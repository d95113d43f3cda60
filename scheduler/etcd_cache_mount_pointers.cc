#include "scheduler/etcd_cache_mount_pointers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {
namespace {

// A swap that keeps losing to writes of the same generation gives up.
constexpr int kMaxAttempts = 5;

// A pointer as read, with the revision its swap compares.
struct Stored {
  MountGeneration generation;
  int64_t mod_revision = 0;  // 0: absent
};

std::string Describe(const Digest& digest) {
  return digest.empty() ? "none" : digest.ToString();
}

std::string ToJson(const MountGeneration& generation) {
  const std::string digest =
      generation.digest.empty() ? "" : generation.digest.ToString();
  return nlohmann::json{{"digest", digest},
                        {"size_bytes", generation.size_bytes}}
      .dump();
}

absl::StatusOr<Stored> Parse(const etcd::KeyValue& kv) {
  const nlohmann::json doc =
      nlohmann::json::parse(kv.value.begin(), kv.value.end(), nullptr, false);
  const auto bad = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("cache mount pointer ", kv.key, ": ", why));
  };
  if (!doc.is_object() || !doc.contains("digest") ||
      !doc["digest"].is_string() || !doc.contains("size_bytes") ||
      !doc["size_bytes"].is_number_integer()) {
    return bad("not {\"digest\", \"size_bytes\"} JSON");
  }
  Stored out;
  out.mod_revision = kv.mod_revision;
  out.generation.size_bytes = doc["size_bytes"].get<int64_t>();
  const std::string digest = doc["digest"].get<std::string>();
  if (digest.empty()) return out;
  absl::StatusOr<Digest> parsed = Digest::Parse(digest);
  if (!parsed.ok()) return bad(parsed.status().message());
  out.generation.digest = *parsed;
  return out;
}

// The pointer in `kvs`, the answer to one Get of its key.
absl::StatusOr<Stored> FromRange(const std::vector<etcd::KeyValue>& kvs) {
  if (kvs.empty()) return Stored();
  return Parse(kvs.front());
}

}  // namespace

EtcdCacheMountPointers::EtcdCacheMountPointers(etcd::EtcdClient* client,
                                               std::string prefix,
                                               FencedWriter write)
    : client_(client),
      prefix_(absl::StrCat(prefix, "/cache-mounts/")),
      write_(std::move(write)) {}

std::string EtcdCacheMountPointers::KeyOf(const CacheMountKey& key) const {
  return absl::StrCat(prefix_, EscapeKeyPart(key.tenant), "/",
                      EscapeKeyPart(key.id));
}

absl::StatusOr<MountGeneration> EtcdCacheMountPointers::Get(
    const CacheMountKey& key) {
  const std::string k = KeyOf(key);
  absl::StatusOr<etcd::KeyValue> kv = client_->Get(k);
  if (absl::IsNotFound(kv.status())) return MountGeneration();
  if (!kv.ok()) {
    return Annotate(kv.status(), absl::StrCat("reading cache mount ", k));
  }
  ASSIGN_OR_RETURN(Stored stored, Parse(*kv));
  return stored.generation;
}

absl::Status EtcdCacheMountPointers::CompareAndSwap(
    const CacheMountKey& key, const Digest& expected,
    const MountGeneration& next) {
  const std::string k = KeyOf(key);
  etcd::TxnRequest read;
  read.success = {etcd::Op::Get(k)};
  absl::StatusOr<etcd::TxnResponse> r = client_->Txn(read);
  for (int attempt = 1;; ++attempt) {
    if (!r.ok()) {
      return Annotate(r.status(), absl::StrCat("swapping cache mount ", k));
    }
    if (r->ranges.size() != 1) {
      return absl::InternalError(
          absl::StrCat("swapping cache mount ", k, ": no range in answer"));
    }
    ASSIGN_OR_RETURN(Stored current, FromRange(r->ranges[0]));
    const Digest& at = current.generation.digest;
    if (!at.empty() && at == next.digest) return absl::OkStatus();
    if (at != expected) {
      return absl::AbortedError(absl::StrCat("cache mount ", k,
                                             " is at generation ", Describe(at),
                                             ", not ", Describe(expected)));
    }
    if (attempt > kMaxAttempts) {
      return absl::AbortedError(absl::StrCat("cache mount ", k, " changed ",
                                             kMaxAttempts,
                                             " times while swapping"));
    }
    etcd::TxnRequest swap;
    swap.compares = {etcd::Compare::ModRevisionEquals(k, current.mod_revision)};
    swap.success = {etcd::Op::Put(k, ToJson(next))};
    swap.failure = {etcd::Op::Get(k)};  // what came first, to judge again
    r = write_(std::move(swap));
    if (r.ok() && r->succeeded) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<Digest>> EtcdCacheMountPointers::Pointed() {
  absl::StatusOr<etcd::RangeResponse> all = client_->GetPrefix(prefix_);
  if (!all.ok()) {
    return Annotate(all.status(),
                    absl::StrCat("listing cache mounts under ", prefix_));
  }
  std::vector<Digest> out;
  for (const etcd::KeyValue& kv : all->kvs) {
    ASSIGN_OR_RETURN(Stored stored, Parse(kv));
    if (!stored.generation.digest.empty()) {
      out.push_back(stored.generation.digest);
    }
  }
  return out;
}

}  // namespace farm::scheduler
