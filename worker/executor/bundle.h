// An OCI bundle for one run: a private directory holding config.json and the
// generated /etc files it bind-mounts, plus the mount targets whose stubs
// MountStubs must manage.
#ifndef FARM_WORKER_EXECUTOR_BUNDLE_H_
#define FARM_WORKER_EXECUTOR_BUNDLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/executor/executor.h"
#include "worker/executor/mount_stubs.h"
#include "worker/executor/oci_spec.h"

namespace farm::executor {

struct BundleRequest {
  std::string dir;  // the bundle directory; must exist and be empty
  const ProcessSpec* spec = nullptr;
  // Everything but the /etc file paths, which WriteBundle fills in.
  SpecInputs inputs;
  std::string host_resolv_conf;  // content of the host's resolv.conf
};

// Writes hosts, resolv.conf, hostname (when asked) and config.json into
// request.dir, and returns the mount targets of the spec in mount order, each
// marked as a file target when its source is not a directory.
absl::StatusOr<std::vector<MountStubs::Target>> WriteBundle(
    const BundleRequest& request);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_BUNDLE_H_
