#include "image/registry/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace farm::image::registry {

absl::Status RunBounded(const std::vector<std::function<absl::Status()>>& tasks,
                        int limit) {
  std::vector<absl::Status> results(tasks.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= tasks.size()) return;
      results[i] = tasks[i]();
      if (!results[i].ok()) failed.store(true);
    }
  };
  size_t threads = std::min<size_t>(std::max(limit, 1), tasks.size());
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace farm::image::registry
