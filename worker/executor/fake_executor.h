// FakeExecutor: a scripted Executor for unit tests of the layers above (the
// stage runner, `farm run`). It records every call and answers from a queue
// of responses or a handler, without containers.
#ifndef FARM_WORKER_EXECUTOR_FAKE_EXECUTOR_H_
#define FARM_WORKER_EXECUTOR_FAKE_EXECUTOR_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/executor/executor.h"

namespace farm::executor {

class FakeExecutor : public Executor {
 public:
  struct Call {
    std::string rootfs;
    ProcessSpec spec;
  };

  struct Response {
    // Sent to the sink in order before Run returns.
    std::vector<OutputLine> output;
    absl::StatusOr<ExitStatus> result = ExitStatus{0};
    // Runs with the rootfs after the output, e.g. to write the files the
    // command would have written.
    std::function<void(const std::string& rootfs)> effect;
    // Block until the Cancellation fires, then return kCancelled, like a
    // command that runs until the build is cancelled.
    bool wait_for_cancel = false;
  };

  // Queues a response; Run uses queued responses first, in order.
  void Push(Response response);
  // Answers calls when the queue is empty. Without a handler such calls
  // succeed with exit code 0 and no output.
  void SetHandler(std::function<Response(const std::string& rootfs,
                                         const ProcessSpec& spec)>
                      handler);

  // Every call so far, in order.
  std::vector<Call> calls() const;

  absl::StatusOr<ExitStatus> Run(const std::string& rootfs,
                                 const ProcessSpec& spec, OutputSink& output,
                                 const Cancellation& cancel) override;

 private:
  mutable absl::Mutex mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);
  std::function<Response(const std::string&, const ProcessSpec&)> handler_
      ABSL_GUARDED_BY(mu_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_FAKE_EXECUTOR_H_
