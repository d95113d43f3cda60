// What the network tests look for after a run: processes whose descriptors,
// mounts or network namespace still hold a namespace, and slirp4netns
// processes this process started and did not reap.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_NETWORK_TEST_UTIL_H_
#define FARM_WORKER_EXECUTOR_NETWORK_NETWORK_TEST_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace farm::executor::network {

// "net:[INODE]" of the namespace at `path`: readlink(2) of a /proc link
// ("/proc/PID/fd/N", "/proc/PID/ns/net"), or a file a namespace is bound on
// ("" when it is neither).
std::string NamespaceId(const std::string& path);

// "PID holds it open" / "PID mounts it" / "PID is in it" for each process
// whose descriptors, mount table or network namespace hold namespace `id`
// ("net:[INODE]").
std::vector<std::string> NamespaceHolders(const std::string& id);

// Pids of this process's children named slirp4netns, zombies included.
std::vector<pid_t> Slirp4netnsChildren();

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_NETWORK_TEST_UTIL_H_
