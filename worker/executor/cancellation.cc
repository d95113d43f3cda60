#include "worker/executor/cancellation.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace farm::executor {

Cancellation::Cancellation() : event_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void Cancellation::Cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  if (event_.get() >= 0) {
    uint64_t one = 1;
    // A full counter is impossible here: it is written once.
    [[maybe_unused]] ssize_t n = write(event_.get(), &one, sizeof(one));
  }
}

}  // namespace farm::executor
