// FakeFarm: an in-memory stand-in for the farm's Build service, for tests
// of the client's stream logic without gRPC. Each call the client opens is
// served by a script (a function) on its own thread, which reads what the
// client writes and answers as a scheduler would, or drops the call.
#ifndef FARM_CLIENT_BUILD_FAKE_BUILD_STREAM_H_
#define FARM_CLIENT_BUILD_FAKE_BUILD_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/build/build_stream.h"

namespace farm::client::build {

// The farm's end of one Build call, as a test script drives it; the same
// scripts run in memory (FakeFarm) and behind a gRPC server
// (FakeBuildService).
class FarmCall {
 public:
  virtual ~FarmCall() = default;
  // Waits for the client's next message; false once the client called
  // WritesDone or the call ended.
  virtual bool Read(proto::BuildClientMessage* message) = 0;
  // False once the call ended.
  virtual bool Write(const proto::BuildServerMessage& message) = 0;
  // Ends the call with `status`: the client reads what was written, then
  // gets this status from Finish. kUnavailable simulates a dropped
  // connection. The script returns soon after.
  virtual void Finish(const absl::Status& status) = 0;
  // True once the client cancelled the call.
  virtual bool cancelled() const = 0;
};

// A FarmCall in memory. Thread-safe.
class FakeCall : public FarmCall {
 public:
  bool Read(proto::BuildClientMessage* message) override;
  bool Write(const proto::BuildServerMessage& message) override;
  void Finish(const absl::Status& status) override;
  bool cancelled() const override;

 private:
  friend class FakeClientStream;
  mutable absl::Mutex mu_;
  std::deque<proto::BuildClientMessage> to_server_ ABSL_GUARDED_BY(mu_);
  std::deque<proto::BuildServerMessage> to_client_ ABSL_GUARDED_BY(mu_);
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class FakeFarm : public BuildConnector {
 public:
  // `script(call, n)` serves the n-th call (from 0). When it returns
  // without finishing the call, the call ends with OK.
  using Script = std::function<void(FarmCall& call, int n)>;
  explicit FakeFarm(Script script) : script_(std::move(script)) {}
  // Waits for every script to return.
  ~FakeFarm() override;

  absl::StatusOr<std::unique_ptr<BuildStream>> Open() override;
  int calls() const;

 private:
  Script script_;
  mutable absl::Mutex mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_FAKE_BUILD_STREAM_H_
