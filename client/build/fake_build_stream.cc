#include "client/build/fake_build_stream.h"

namespace farm::client::build {

bool FakeCall::Read(proto::BuildClientMessage* message) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](FakeCall* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
        return !c->to_server_.empty() || c->writes_done_ || c->finished_;
      },
      this));
  if (to_server_.empty() || finished_) return false;
  *message = std::move(to_server_.front());
  to_server_.pop_front();
  return true;
}

bool FakeCall::Write(const proto::BuildServerMessage& message) {
  absl::MutexLock lock(&mu_);
  if (finished_) return false;
  to_client_.push_back(message);
  return true;
}

void FakeCall::Finish(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  status_ = status;
}

bool FakeCall::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

// The client's end of a FakeCall.
class FakeClientStream : public BuildStream {
 public:
  explicit FakeClientStream(std::shared_ptr<FakeCall> call)
      : call_(std::move(call)) {}

  bool Write(const proto::BuildClientMessage& message) override {
    absl::MutexLock lock(&call_->mu_);
    if (call_->finished_ || call_->writes_done_) return false;
    call_->to_server_.push_back(message);
    return true;
  }
  bool Read(proto::BuildServerMessage* message) override {
    FakeCall* c = call_.get();
    absl::MutexLock lock(&c->mu_);
    c->mu_.Await(absl::Condition(
        +[](FakeCall* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
          return !c->to_client_.empty() || c->finished_;
        },
        c));
    if (c->to_client_.empty() || c->cancelled_) return false;
    *message = std::move(c->to_client_.front());
    c->to_client_.pop_front();
    return true;
  }
  bool WritesDone() override {
    absl::MutexLock lock(&call_->mu_);
    call_->writes_done_ = true;
    return !call_->finished_;
  }
  absl::Status Finish() override {
    FakeCall* c = call_.get();
    absl::MutexLock lock(&c->mu_);
    c->mu_.Await(absl::Condition(&c->finished_));
    return c->status_;
  }
  void Cancel() override {
    absl::MutexLock lock(&call_->mu_);
    if (call_->finished_) return;
    call_->cancelled_ = true;
    call_->finished_ = true;
    call_->status_ = absl::CancelledError("cancelled by the client");
  }

 private:
  std::shared_ptr<FakeCall> call_;
};

FakeFarm::~FakeFarm() {
  absl::MutexLock lock(&mu_);
  for (std::thread& t : threads_) t.join();
}

absl::StatusOr<std::unique_ptr<BuildStream>> FakeFarm::Open() {
  auto call = std::make_shared<FakeCall>();
  absl::MutexLock lock(&mu_);
  int n = static_cast<int>(threads_.size());
  threads_.emplace_back([this, call, n] {
    script_(*call, n);
    call->Finish(absl::OkStatus());
  });
  return std::unique_ptr<BuildStream>(new FakeClientStream(call));
}

int FakeFarm::calls() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(threads_.size());
}

}  // namespace farm::client::build
