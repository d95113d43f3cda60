#include "scheduler/session_threads.h"

#include <utility>
#include <vector>

namespace farm::scheduler {

SessionThreads::~SessionThreads() {
  std::list<Runner> runners;
  {
    absl::MutexLock lock(&mu_);
    runners.swap(runners_);
  }
  for (Runner& runner : runners) runner.thread.join();
}

void SessionThreads::Start(std::function<void()> run) {
  std::vector<std::thread> ended;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = runners_.begin(); it != runners_.end();) {
      if (it->done->load()) {
        ended.push_back(std::move(it->thread));
        it = runners_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    runners_.push_back({std::thread([run = std::move(run), done] {
                          run();
                          done->store(true);
                        }),
                        done});
  }
  // A thread marked done is at most returning: joining it is quick.
  for (std::thread& thread : ended) thread.join();
}

size_t SessionThreads::size() {
  absl::MutexLock lock(&mu_);
  return runners_.size();
}

}  // namespace farm::scheduler
