// A reaper for a worker's RUN steps. A container outlives the `runc run`
// that started it, so a worker killed with SIGKILL would leave its steps
// running until it starts again on its root. The reaper is a process of its
// own, forked before any thread exists, that waits for the worker to die
// (its end of a pipe closes) and then kills every task in the worker's
// cgroup subtree, so no step outlives the worker however it ends; then it
// unmounts what the worker had mounted under its root (the steps' overlays;
// network namespaces are held by descriptors, which die with the worker).
#ifndef FARM_WORKER_REAPER_H_
#define FARM_WORKER_REAPER_H_

#include <string>

#include "absl/status/status.h"

namespace farm::worker {

// Forks the reaper of the worker on `root` (whose steps live under
// executor::CgroupParentForRoot(root)). Call before any thread starts: the
// child runs C++ code after fork. When the worker is gone the reaper takes
// the root's lock (<root>/lock, which every worker on a root holds): if
// another worker holds it (this one never started, or a new one already
// did and cleaned up), it leaves the steps alone. It ignores SIGINT and
// SIGTERM (a Ctrl-C to the process group drains the worker; the reaper
// waits for it) and exits once it has reaped.
absl::Status StartReaper(const std::string& root);

}  // namespace farm::worker

#endif  // FARM_WORKER_REAPER_H_
