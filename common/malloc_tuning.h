// Fewer page faults for big heaps. On the virtual machines farm runs on, a
// page fault costs tens of microseconds, and a build over a big context
// touches hundreds of MB of heap a page at a time (20,000-entry manifests,
// stat caches, cache indexes). glibc's own switch for this, the
// glibc.malloc.hugetlb tunable, is read only when a process starts, and
// starting the process again to set it costs more than it saves on small
// builds; so the same is done from inside: one thread arena, a large top
// pad, and the heap advised onto transparent huge pages.
#ifndef FARM_COMMON_MALLOC_TUNING_H_
#define FARM_COMMON_MALLOC_TUNING_H_

#include <cstddef>

namespace farm {

// Call first in main(), before any thread starts. Grows the heap in steps of
// `top_pad` bytes and advises the heap as it stands (the first step
// included) onto transparent huge pages. Does nothing when the environment
// has FARM_MALLOC_TUNING=off or GLIBC_TUNABLES (the user tunes malloc
// themselves). Returns whether the advice was taken.
bool TuneMallocForFewerPageFaults(size_t top_pad);

// The top pad for a short command: a cached build of 20,000 files fits.
inline constexpr size_t kCommandTopPad = size_t{256} << 20;
// For daemons, which keep up to the pad of freed heap for their lifetime.
inline constexpr size_t kDaemonTopPad = size_t{64} << 20;

}  // namespace farm

#endif  // FARM_COMMON_MALLOC_TUNING_H_
