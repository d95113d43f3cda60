#include "common/malloc_tuning.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace farm {

bool TuneMallocForFewerPageFaults(size_t top_pad) {
  const char* off = getenv("FARM_MALLOC_TUNING");
  if (off != nullptr && strcmp(off, "off") == 0) return false;
  if (getenv("GLIBC_TUNABLES") != nullptr) return false;
  // Every thread allocates from the main heap, the one advised below;
  // glibc's per-thread caches keep the lock out of the common path.
  mallopt(M_ARENA_MAX, 1);
  // Blocks under this come from the heap too, not from their own mapping.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, static_cast<int>(top_pad));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * top_pad));
  // Static initialisers made a small heap already: allocating past its top
  // grows it by the pad now, and the advice covers the growth.
  const size_t top = mallinfo2().keepcost;
  void* grow = malloc(top + 4096);
  if (grow == nullptr) return false;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(grow) & ~(page - 1);
  free(grow);  // (may trim the heap's top: take its end after)
  const uintptr_t end = reinterpret_cast<uintptr_t>(sbrk(0));
  if (end <= begin) return false;
  return madvise(reinterpret_cast<void*>(begin), end - begin,
                 MADV_HUGEPAGE) == 0;
}

}  // namespace farm
