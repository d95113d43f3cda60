// EtcdImageIndexStorage against a real 3-member etcd on loopback: what one
// leader saves, the next one loads; a leader whose fence is lost writes
// nothing; large changes are split; ImageStores work over it.
#include "scheduler/etcd_image_index_storage.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/memory_cache.h"
#include "common/digest.h"
#include "common/etcd/leader_election.h"
#include "common/etcd/lease_session.h"
#include "common/etcd/testing/etcd_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "scheduler/image_store.h"

namespace farm::scheduler {
namespace {

using ::testing::HasSubstr;

// A farm-scheduler as far as etcd sees it.
using Scheduler = etcd::testing::ElectedLeader;

ImageRecord Record(const std::string& name, std::set<std::string> tenants) {
  ImageRecord r;
  r.manifest_digest = Digest::Of("manifest of " + name).ToString();
  r.config_digest = Digest::Of("config of " + name).ToString();
  r.created = absl::FromUnixSeconds(1700000000);
  r.size = 42;
  r.tenants = std::move(tenants);
  return r;
}

void AddTagged(ImageIndex& index, const ImageRecord& record,
               const std::string& tag) {
  index.images()[record.manifest_digest] = record;
  for (const std::string& tenant : record.tenants) {
    index.tags(tenant)[tag] = record.manifest_digest;
  }
}

// Tenants and tags with '/' and ':', two of them equal if simply joined.
ImageIndex Sample() {
  ImageIndex index;
  AddTagged(index, Record("app", {"team/a", "b:c"}), "docker.io/library/app:1");
  AddTagged(index, Record("base", {"team"}), "a/docker.io/library/app:1");
  index.tags("team/a")["registry:5000/x/app:2"] =
      Record("app", {}).manifest_digest;
  return index;
}

class EtcdImageIndexStorageTest : public etcd::testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    prefix_ = TestPrefix("images");
  }

  // A scheduler that has won the election.
  std::unique_ptr<Scheduler> Leader() {
    return ElectLeader(prefix_ + "-election");
  }

  std::unique_ptr<EtcdImageIndexStorage> Storage(FencedWriter writer) {
    return std::make_unique<EtcdImageIndexStorage>(client_.get(), prefix_,
                                                   std::move(writer));
  }

  // What a new leader would load now, as JSON.
  std::string Stored() {
    absl::StatusOr<ImageIndex> index = Storage(nullptr)->Load();
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? index->ToJson() : "";
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> out;
    absl::StatusOr<etcd::RangeResponse> all = client_->GetPrefix(prefix_ + "/");
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return out;
    for (const etcd::KeyValue& kv : all->kvs) {
      out.push_back(kv.key.substr(prefix_.size()));
    }
    return out;
  }

  std::string prefix_;
};

TEST_F(EtcdImageIndexStorageTest, RoundTripsWithEscapedKeys) {
  auto a = Leader();
  ASSERT_TRUE(a);
  int writes = 0;
  auto storage = Storage([&](etcd::TxnRequest txn) {
    ++writes;
    return a->election->FencedTxn(std::move(txn));
  });
  absl::StatusOr<ImageIndex> empty = storage->Load();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->images().empty());

  ImageIndex index = Sample();
  ASSERT_TRUE(storage->Save(index).ok());
  EXPECT_EQ(Stored(), index.ToJson());
  const std::string app = Record("app", {}).manifest_digest;
  EXPECT_THAT(Keys(), ::testing::UnorderedElementsAre(
                          "/images/" + app,
                          "/images/" + Record("base", {}).manifest_digest,
                          "/tags/team%2Fa/docker.io%2Flibrary%2Fapp:1",
                          "/tags/team%2Fa/registry:5000%2Fx%2Fapp:2",
                          "/tags/b:c/docker.io%2Flibrary%2Fapp:1",
                          "/tags/team/a%2Fdocker.io%2Flibrary%2Fapp:1"));
  EXPECT_EQ(client_->Get(prefix_ + "/images/" + app)->value,
            ImageRecordJson(index.images().at(app)));

  // An unchanged index writes nothing; a change writes only itself.
  writes = 0;
  ASSERT_TRUE(storage->Save(index).ok());
  EXPECT_EQ(writes, 0);
  index.images().erase(Record("base", {}).manifest_digest);
  index.tags("team").clear();
  index.tags("team/a").erase("registry:5000/x/app:2");
  ASSERT_TRUE(storage->Save(index).ok());
  EXPECT_EQ(writes, 1);
  EXPECT_EQ(Stored(), index.ToJson());
  EXPECT_EQ(Keys().size(), 3u);
}

TEST_F(EtcdImageIndexStorageTest, ANewLeaderLoadsWhatTheOldOneSaved) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto old_storage = Storage(a->Writer());
  ASSERT_TRUE(old_storage->Load().ok());
  ASSERT_TRUE(old_storage->Save(Sample()).ok());
  ASSERT_TRUE(a->election->Resign().ok());

  auto b = Leader();
  ASSERT_TRUE(b);
  auto storage = Storage(b->Writer());
  absl::StatusOr<ImageIndex> loaded = storage->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->ToJson(), Sample().ToJson());
  loaded->tags("b:c").clear();
  ASSERT_TRUE(storage->Save(*loaded).ok());
  EXPECT_EQ(Stored(), loaded->ToJson());
}

TEST_F(EtcdImageIndexStorageTest, ALeaderWhoseLeaseIsGoneWritesNothing) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto storage = Storage(a->Writer());
  ASSERT_TRUE(storage->Load().ok());
  ASSERT_TRUE(storage->Save(Sample()).ok());
  // etcd drops the lease and the election key; `a` has not noticed yet, so
  // the fence compare in etcd is what refuses the write.
  ASSERT_TRUE(client_->LeaseRevoke(a->session->lease()).ok());
  ImageIndex changed = Sample();
  AddTagged(changed, Record("late", {"team"}), "late:1");
  absl::Status s = storage->Save(changed);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("leadership lost"));
  EXPECT_EQ(Stored(), Sample().ToJson());
}

TEST_F(EtcdImageIndexStorageTest, AfterAFailedSaveTheNextOneWritesAllOfIt) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto storage = Storage(a->Writer());
  ASSERT_TRUE(storage->Load().ok());
  ASSERT_TRUE(storage->Save(Sample()).ok());
  ASSERT_TRUE(a->election->Resign().ok());
  ImageIndex changed = Sample();
  AddTagged(changed, Record("late", {"team"}), "late:1");
  changed.tags("b:c").clear();
  EXPECT_EQ(storage->Save(changed).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(), Sample().ToJson());

  // Leading again, the same index is written whole: the failed Save did
  // not count as saved.
  ASSERT_TRUE(a->election->Campaign("me", absl::Now() + absl::Seconds(5)).ok());
  ASSERT_TRUE(storage->Save(changed).ok());
  EXPECT_EQ(Stored(), changed.ToJson());
}

// Records each transaction's ops as "put images/..." and the like.
struct TxnLog {
  std::vector<std::vector<std::string>> txns;
  FencedWriter Around(FencedWriter inner, const std::string& prefix) {
    return [this, inner, prefix](etcd::TxnRequest txn) {
      std::vector<std::string> ops;
      for (const etcd::Op& op : txn.success) {
        const std::string kind =
            absl::StartsWith(op.key, prefix + "/images/") ? "image" : "tag";
        ops.push_back((op.type == etcd::Op::Type::kPut ? "put " : "delete ") +
                      kind);
      }
      txns.push_back(std::move(ops));
      return inner(std::move(txn));
    };
  }
  // The kinds of op in the order first seen, with each txn's size.
  std::vector<std::string> Kinds() const {
    std::vector<std::string> out;
    for (const auto& txn : txns) {
      EXPECT_LE(txn.size(), EtcdImageIndexStorage::kMaxOpsPerTxn);
      for (const std::string& op : txn) {
        if (out.empty() || out.back() != op) out.push_back(op);
      }
    }
    return out;
  }
};

TEST_F(EtcdImageIndexStorageTest, LargeChangesAreSplitImagesFirst) {
  auto a = Leader();
  ASSERT_TRUE(a);
  TxnLog log;
  auto storage = Storage(log.Around(a->Writer(), prefix_));
  ASSERT_TRUE(storage->Load().ok());
  ImageIndex index;
  for (int i = 0; i < 300; ++i) {
    AddTagged(index, Record(absl::StrCat("img", i), {"t"}),
              absl::StrCat("img:", i));
  }
  ASSERT_TRUE(storage->Save(index).ok());
  EXPECT_EQ(log.txns.size(), 6u);
  EXPECT_EQ(log.Kinds(), (std::vector<std::string>{"put image", "put tag"}));
  EXPECT_EQ(Stored(), index.ToJson());

  // 300 changed records.
  log.txns.clear();
  for (auto& [digest, record] : index.images()) record.size += 1;
  ASSERT_TRUE(storage->Save(index).ok());
  EXPECT_EQ(log.txns.size(), 3u);
  EXPECT_EQ(Stored(), index.ToJson());

  log.txns.clear();
  ASSERT_TRUE(storage->Save(ImageIndex()).ok());
  EXPECT_EQ(log.Kinds(),
            (std::vector<std::string>{"delete tag", "delete image"}));
  EXPECT_TRUE(Keys().empty());
}

// Every tag stored names an image stored.
void ExpectNoDanglingTag(const std::string& json) {
  const nlohmann::json doc = nlohmann::json::parse(json);
  for (const auto& [tenant, tags] : doc["tags"].items()) {
    for (const auto& [tag, digest] : tags.items()) {
      EXPECT_TRUE(doc["images"].contains(digest.get<std::string>()))
          << tenant << " " << tag;
    }
  }
}

TEST_F(EtcdImageIndexStorageTest, ACrashBetweenTransactionsLeavesNoDangling) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto storage = Storage(a->Writer());
  ASSERT_TRUE(storage->Load().ok());
  ImageIndex before, after;
  for (int i = 0; i < 150; ++i) {
    AddTagged(before, Record(absl::StrCat("old", i), {"t"}),
              absl::StrCat("app:", i));
    // The tag moves to a new image; the old image goes.
    AddTagged(after, Record(absl::StrCat("new", i), {"t"}),
              absl::StrCat("app:", i));
    after.tags("t")[absl::StrCat("new:", i)] =
        Record(absl::StrCat("new", i), {}).manifest_digest;
  }
  ASSERT_TRUE(storage->Save(before).ok());
  int calls = 0;
  int fail_at = 0;
  EtcdImageIndexStorage crashing(
      client_.get(), prefix_, [&](etcd::TxnRequest txn) {
        if (++calls == fail_at) {
          return absl::StatusOr<etcd::TxnResponse>(
              absl::UnavailableError("the scheduler died"));
        }
        return a->election->FencedTxn(std::move(txn));
      });
  ASSERT_TRUE(crashing.Load().ok());
  // 150 image puts, 300 tag puts, 150 image deletes: six transactions, and
  // each Save tries all of them again up to the one that fails.
  for (fail_at = 1; fail_at <= 6; ++fail_at) {
    calls = 0;
    absl::Status s = crashing.Save(after);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << fail_at;
    EXPECT_THAT(s.message(), HasSubstr(prefix_ + "/")) << fail_at;
    ExpectNoDanglingTag(Stored());
  }
  ASSERT_TRUE(storage->Save(after).ok());
  EXPECT_EQ(Stored(), after.ToJson());
}

// A one-layer image's blobs, stored in `blobs`; returns the manifest digest.
Digest PutImage(cache::BlobStore& blobs, const std::string& layer) {
  const std::string config =
      nlohmann::json{{"architecture", "amd64"},
                     {"os", "linux"},
                     {"config", nlohmann::json::object()},
                     {"rootfs",
                      {{"type", "layers"},
                       {"diff_ids", {Digest::Of("tar " + layer).ToString()}}}}}
          .dump();
  const std::string manifest =
      nlohmann::json{
          {"schemaVersion", 2},
          {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
          {"config",
           {{"mediaType", "application/vnd.oci.image.config.v1+json"},
            {"size", config.size()},
            {"digest", Digest::Of(config).ToString()}}},
          {"layers",
           {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
             {"size", layer.size()},
             {"digest", Digest::Of(layer).ToString()}}}}}
          .dump();
  for (const std::string* blob : {&layer, &config, &manifest}) {
    EXPECT_TRUE(cache::PutBlob(blobs, *blob).ok());
  }
  return Digest::Of(manifest);
}

TEST_F(EtcdImageIndexStorageTest, ImageStoresOverEtcdShareTagsAndImages) {
  auto a = Leader();
  ASSERT_TRUE(a);
  cache::MemoryCache cache;
  auto open = [&] {
    absl::StatusOr<std::unique_ptr<ImageStores>> stores =
        ImageStores::Open(Storage(a->Writer()), cache.blobs());
    EXPECT_TRUE(stores.ok()) << stores.status();
    return stores.ok() ? *std::move(stores) : nullptr;
  };
  std::unique_ptr<ImageStores> leader = open();
  ASSERT_TRUE(leader);
  ImageStore* mine = leader->ForTenant("team/a");
  const Digest app = PutImage(*cache.blobs(), "app layer");
  const Digest other = PutImage(*cache.blobs(), "other layer");
  // What another scheduler loading the same prefix sees of `ref`.
  auto seen = [&](const std::string& ref) -> std::string {
    std::unique_ptr<ImageStores> next = open();
    absl::StatusOr<ImageInfo> got = next->ForTenant("team/a")->Get(ref);
    return got.ok()
               ? got->record.manifest_digest
               : std::string(absl::StatusCodeToString(got.status().code()));
  };

  ASSERT_TRUE(mine->Add(app, {"app:1"}).ok());
  ASSERT_TRUE(mine->Tag("app:1", "app:2").ok());
  EXPECT_EQ(seen("app:2"), app.ToString());
  ASSERT_TRUE(mine->Add(other, {}).ok());
  ASSERT_TRUE(mine->Tag(other.ToString(), "app:1").ok());  // retag
  EXPECT_EQ(seen("app:1"), other.ToString());
  EXPECT_EQ(seen("app:2"), app.ToString());
  ASSERT_TRUE(mine->Tag("app:2", "app:3").ok());
  ASSERT_TRUE(mine->Remove("app:2", false).ok());  // untag only
  EXPECT_EQ(seen("app:2"), "NOT_FOUND");
  EXPECT_EQ(seen(app.ToString()), app.ToString());
  absl::StatusOr<RemoveResult> removed = mine->Remove("app:3", false);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->deleted.size(), 1u);
  EXPECT_EQ(seen(app.ToString()), "NOT_FOUND");
  EXPECT_EQ(seen("app:1"), other.ToString());
  EXPECT_EQ(open()->Tenants(), std::vector<std::string>{"team/a"});
}

}  // namespace
}  // namespace farm::scheduler
