#include "cache/sharded/testing/flaky_node.h"

#include "absl/strings/str_cat.h"
#include "cache/forwarding_blob_store.h"
#include "common/status_macros.h"

namespace farm::cache::testing {

absl::Status FlakyNode::State::Check() {
  ++calls;
  if (!down) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("node ", name, " is down"));
}

namespace {

class FlakyWriter : public BlobWriter {
 public:
  FlakyWriter(std::unique_ptr<BlobWriter> inner, FlakyNode::State* state)
      : inner_(std::move(inner)), state_(state) {}
  absl::Status Write(absl::string_view data) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Write(data);
  }
  absl::Status Commit() override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Commit();
  }

 private:
  std::unique_ptr<BlobWriter> inner_;
  FlakyNode::State* state_;
};

}  // namespace

class FlakyNode::Blobs : public ForwardingBlobStore {
 public:
  Blobs(BlobStore* inner, State* state)
      : ForwardingBlobStore(inner), state_(state) {}
  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override {
    RETURN_IF_ERROR(state_->Check());
    ++state_->find_missing_calls;
    return ForwardingBlobStore::FindMissing(digests);
  }
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override {
    RETURN_IF_ERROR(state_->Check());
    return ForwardingBlobStore::Get(digest);
  }
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override {
    RETURN_IF_ERROR(state_->Check());
    ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> inner,
                     ForwardingBlobStore::Put(digest));
    return std::make_unique<FlakyWriter>(std::move(inner), state_);
  }
  absl::Status Delete(const Digest& digest) override {
    RETURN_IF_ERROR(state_->Check());
    return ForwardingBlobStore::Delete(digest);
  }
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override {
    RETURN_IF_ERROR(state_->Check());
    return ForwardingBlobStore::Stat(digest);
  }
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override {
    absl::Status status = state_->Check();
    if (!status.ok()) {
      return std::vector<absl::StatusOr<std::string>>(digests.size(), status);
    }
    ++state_->get_small_calls;
    return inner()->GetSmall(digests);
  }

 private:
  State* state_;
};

class FlakyNode::Actions : public ActionCache {
 public:
  Actions(ActionCache* inner, State* state) : inner_(inner), state_(state) {}
  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Get(key);
  }
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override {
    absl::Status status = state_->Check();
    if (!status.ok()) {
      return std::vector<absl::StatusOr<proto::ActionResult>>(keys.size(),
                                                              status);
    }
    ++state_->get_many_calls;
    return inner_->GetMany(keys);
  }
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Update(key, result);
  }

 private:
  ActionCache* inner_;
  State* state_;
};

class FlakyNode::Admin : public CacheAdmin {
 public:
  Admin(CacheAdmin* inner, State* state) : inner_(inner), state_(state) {}
  absl::StatusOr<CacheStats> Stats() override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Stats();
  }
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Prune(options);
  }
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->SetPins(owner, std::move(digests));
  }
  absl::Status Delete(const std::vector<Digest>& digests) override {
    RETURN_IF_ERROR(state_->Check());
    return inner_->Delete(digests);
  }

 private:
  CacheAdmin* inner_;
  State* state_;
};

FlakyNode::FlakyNode(MemoryCache* cache, std::string name)
    : state_(std::make_unique<State>()) {
  state_->name = std::move(name);
  blobs_ = std::make_unique<Blobs>(cache->blobs(), state_.get());
  actions_ = std::make_unique<Actions>(cache->actions(), state_.get());
  admin_ = std::make_unique<Admin>(cache, state_.get());
}

FlakyNode::~FlakyNode() = default;

BlobStore* FlakyNode::blobs() { return blobs_.get(); }
ActionCache* FlakyNode::actions() { return actions_.get(); }
CacheAdmin* FlakyNode::admin() { return admin_.get(); }

}  // namespace farm::cache::testing
