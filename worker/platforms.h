// The platforms a worker can run a stage's RUN steps for: its own
// (natively) and those the host's binfmt_misc hands to an emulator such as
// QEMU. Only emulators registered with the F (fix binary) flag count: the
// kernel opened their interpreter when they were registered, so it runs
// inside a container's root too, where the interpreter's path is absent.
#ifndef FARM_WORKER_PLATFORMS_H_
#define FARM_WORKER_PLATFORMS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::worker {

struct WorkerPlatforms {
  std::vector<std::string> native;    // normalised: "linux/amd64"
  std::vector<std::string> emulated;  // sorted, none of them native
};

// The platform of this machine's kernel and CPU, e.g. "linux/amd64".
std::string NativePlatform();

// The platform an emulator entry of binfmt_misc runs (the text of
// /proc/sys/fs/binfmt_misc/<name>): an enabled ELF magic entry with the F
// flag, whose magic names the machine (e_machine), word size and byte order.
// nullopt for anything else: disabled, no F flag, not ELF, an unknown
// machine.
std::optional<std::string> PlatformOfBinfmtEntry(absl::string_view entry);

// The native platform and every emulated one `binfmt_dir` offers. A
// missing or unmounted directory means none are emulated.
WorkerPlatforms DetectPlatforms(
    const std::string& binfmt_dir = "/proc/sys/fs/binfmt_misc");

// Keeps only the platforms in `only` ("linux/arm64,linux/amd64", as
// farm-worker --platforms takes it). kInvalidArgument for a malformed
// platform or one the worker cannot run.
absl::StatusOr<WorkerPlatforms> RestrictPlatforms(const WorkerPlatforms& all,
                                                  absl::string_view only);

// "linux/amd64 (native), linux/arm64 (emulated)".
std::string DescribePlatforms(const std::vector<std::string>& native,
                              const std::vector<std::string>& emulated);

}  // namespace farm::worker

#endif  // FARM_WORKER_PLATFORMS_H_
