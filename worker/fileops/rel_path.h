// Relative paths below a directory fd, as the file operations use them:
// clean, '/'-separated, "" for the directory itself. Splitting and joining
// them, and opening one with openat2(2)'s confinement flags.
#ifndef FARM_WORKER_FILEOPS_REL_PATH_H_
#define FARM_WORKER_FILEOPS_REL_PATH_H_

#include <cstdint>
#include <string>

namespace farm::fileops {

// "a/b/c" → "a/b"; "c" → "".
std::string RelParent(const std::string& rel);
// "a/b/c" → "c".
std::string RelBase(const std::string& rel);
// Joins with one '/', skipping an empty side.
std::string RelJoin(const std::string& dir, const std::string& name);

// openat2(dirfd, rel, flags | O_CLOEXEC, resolve), retried on EAGAIN and
// EINTR. Returns the fd, or -1 with errno set.
int OpenBelow(int dirfd, const std::string& rel, int flags, uint64_t resolve);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_REL_PATH_H_
