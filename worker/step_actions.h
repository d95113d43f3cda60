// The actions of the instructions that change files, run in an instruction's
// workspace rootfs: RUN through the Executor (with its --mount, --network
// and --security), COPY and ADD through the file operations, and WORKDIR's
// directory made for the current USER. Metadata comes from the
// ConfigBuilder, which has already applied the instruction.
#ifndef FARM_WORKER_STEP_ACTIONS_H_
#define FARM_WORKER_STEP_ACTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cache/blob_store.h"
#include "common/clock.h"
#include "dockerfile/instructions.h"
#include "proto/plan.pb.h"
#include "proto/worker.pb.h"
#include "worker/cache_mounts.h"
#include "worker/config_builder.h"
#include "worker/executor/cancellation.h"
#include "worker/executor/executor.h"
#include "worker/executor/output.h"
#include "worker/source_trees.h"

namespace farm::worker {

// Everything an action may use; nothing is owned.
struct StepInputs {
  const proto::StageJob* job = nullptr;
  const dockerfile::Instruction* instruction = nullptr;
  const proto::PlannedInstruction* planned = nullptr;
  const ConfigBuilder* builder = nullptr;
  SourceTrees* sources = nullptr;
  CacheMounts* caches = nullptr;
  executor::Executor* executor = nullptr;
  cache::BlobStore* blobs = nullptr;
  const Clock* clock = nullptr;
  // A directory of the instruction's own for downloads and copies.
  std::string scratch_dir;
  // Where a RUN's output lines go.
  executor::OutputSink* output = nullptr;
  // A RUN's limits (the lower of the worker's and the build's), and the
  // directory that takes its writes (the workspace's upper dir), whose
  // growth counts against limits.disk_bytes.
  executor::ResourceLimits limits;
  std::string writable_dir;
  // The layer's SOURCE_DATE_EPOCH, when the build sets one.
  std::optional<int64_t> source_date_epoch;
  const executor::Cancellation* cancel = nullptr;
};

// Lines of output a failed RUN's error carries.
inline constexpr size_t kFailedRunTailLines = 10;

// Runs a RUN in `rootfs`. A non-zero exit is kInvalidArgument "exit code N"
// followed by the last lines of output; a run killed at one of its limits is
// kResourceExhausted "was killed: memory limit 4 GiB reached" (see
// AnnotateStep), also followed by the last lines; the executor's errors
// pass through (kCancelled, kNotFound for an unknown user, ...).
absl::Status RunCommand(const StepInputs& in, const std::string& rootfs);

// `status` of the instruction `where` ("Dockerfile:4: RUN make"): "where:
// message", or "where was killed: ..." for a RUN killed at a limit. Keeps
// the code.
absl::Status AnnotateStep(const absl::Status& status, absl::string_view where);

// Runs a COPY or ADD into `rootfs`; ADD's URLs come from the CAS
// (job.url_blobs). Files from the build context are hard-linked into
// `writable_dir` (the upper dir behind `rootfs`) when that gives the same
// layer, so the merged rootfs may not show them until it is mounted again.
// Errors are the file operations'.
absl::Status CopyFiles(const StepInputs& in, const std::string& rootfs);

// Makes `dir` (a container path, symlinks resolved inside the rootfs) with
// its missing parents, 0755 and owned by `user` as USER names it. Errors:
// the user's resolution (kNotFound for an unknown name) and the
// filesystem's.
absl::Status MakeWorkdir(const std::string& rootfs, const std::string& dir,
                         const std::string& user);

}  // namespace farm::worker

#endif  // FARM_WORKER_STEP_ACTIONS_H_
