// Fewer page faults for big heaps. On the virtual machines farm runs on a
// page fault costs microseconds, and a build touches hundreds of MB of heap
// a page at a time (20,000-entry manifests, stat caches, layer buffers).
// glibc can grow its heap in large steps backed by transparent huge pages
// (GLIBC_TUNABLES glibc.malloc.hugetlb=1 and top_pad), but reads its
// tunables only when a process starts, so the process executes itself once
// more with them set. A fully cached rebuild of a 20,000-file context went
// from about 470 ms to about 270 ms (docs/benchmarks.md).
#ifndef FARM_COMMON_MALLOC_TUNING_H_
#define FARM_COMMON_MALLOC_TUNING_H_

namespace farm {

// Call first in main(), before any thread starts. Returns in the tuned
// process, whose children do not inherit the tunables; also returns, doing
// nothing, when the user set GLIBC_TUNABLES or FARM_MALLOC_TUNING=off, or
// when the exec fails.
void TuneMallocOrReexec(char** argv);

}  // namespace farm

#endif  // FARM_COMMON_MALLOC_TUNING_H_
