#include "worker/executor/fake_executor.h"

#include <poll.h>

#include <utility>

namespace farm::executor {

void FakeExecutor::Push(Response response) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(response));
}

void FakeExecutor::SetHandler(
    std::function<Response(const std::string&, const ProcessSpec&)> handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

std::vector<FakeExecutor::Call> FakeExecutor::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::StatusOr<ExitStatus> FakeExecutor::Run(const std::string& rootfs,
                                             const ProcessSpec& spec,
                                             OutputSink& output,
                                             const Cancellation& cancel) {
  Response response;
  std::function<Response(const std::string&, const ProcessSpec&)> handler;
  {
    absl::MutexLock lock(&mu_);
    calls_.push_back(Call{rootfs, spec});
    if (!queue_.empty()) {
      response = std::move(queue_.front());
      queue_.pop_front();
    } else {
      handler = handler_;
    }
  }
  if (handler) response = handler(rootfs, spec);
  for (const OutputLine& line : response.output) {
    output.Line(line.stream, line.text);
  }
  if (response.effect) response.effect(rootfs);
  if (response.wait_for_cancel) {
    while (!cancel.IsCancelled()) {
      pollfd fd = {cancel.fd(), POLLIN, 0};
      poll(&fd, 1, cancel.fd() < 0 ? 10 : -1);
    }
    return absl::CancelledError("cancelled");
  }
  return response.result;
}

}  // namespace farm::executor
