#include "common/malloc_tuning.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace farm {
namespace {

constexpr char kTunables[] = "GLIBC_TUNABLES";
// Set only across the one exec, so a tuned process knows it is one.
constexpr char kTuned[] = "FARM_MALLOC_TUNED";
constexpr char kSettings[] =
    "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=268435456";

}  // namespace

void TuneMallocOrReexec(char** argv) {
  if (getenv(kTuned) != nullptr) {
    // Read at start-up already; RUN steps, runc and other children get
    // the environment they would have had.
    unsetenv(kTuned);
    unsetenv(kTunables);
    return;
  }
  if (getenv(kTunables) != nullptr) return;  // the user's own
  const char* off = getenv("FARM_MALLOC_TUNING");
  if (off != nullptr && strcmp(off, "off") == 0) return;
  setenv(kTunables, kSettings, 1);
  setenv(kTuned, "1", 1);
  execv("/proc/self/exe", argv);
  unsetenv(kTuned);  // no exec: run untuned
  unsetenv(kTunables);
}

}  // namespace farm
