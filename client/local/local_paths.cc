#include "client/local/local_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace farm::client::local {

std::string ServerSettings() {
  std::string out;
  for (const char* name : {"FARM_CACHE_MAX_BYTES", "FARM_ALLOW_FETCH_HOSTS"}) {
    const char* value = getenv(name);
    absl::StrAppend(&out, name, value ? "=" : " unset", value ? value : "",
                    "\n");
  }
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    struct stat info = {};
    stat(exe, &info);
    absl::StrAppend(&out, "binary=", exe, " ", info.st_mtim.tv_sec, ".",
                    info.st_mtim.tv_nsec, "\n");
  }
  return out;
}

bool ProcessAlive(int64_t pid) {
  absl::StatusOr<std::string> stat =
      ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  // "PID (COMM) STATE ...": the state follows the last ')'.
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() &&
         (*stat)[paren + 2] != 'Z';
}

}  // namespace farm::client::local
