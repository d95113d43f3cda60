// TokenFile: a --tokens file that follows edits without a restart. The file
// is looked at (inode, size, mtime, ctime) at most once per check interval
// and re-read when any of these changed; a broken or vanished file keeps the
// last good table, so a bad edit never locks everyone out.
#ifndef FARM_AUTH_TOKEN_FILE_H_
#define FARM_AUTH_TOKEN_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/identity.h"
#include "auth/token_table.h"
#include "common/clock.h"

namespace farm::auth {

class TokenFile {
 public:
  // Reads and parses `path` (symlinks followed, so a Kubernetes secret
  // mount's swap is seen). Fails as TokenTable::Parse does, or kNotFound /
  // kPermissionDenied / kInvalidArgument (not a regular file) naming the
  // path, so that a server refuses to start on a bad file. `clock` is not
  // owned and must outlive the TokenFile.
  static absl::StatusOr<std::unique_ptr<TokenFile>> Open(
      std::string path, Clock* clock = RealClock::Get(),
      absl::Duration check_interval = absl::Seconds(1));

  // The identity `token` names in the newest good version of the file, or
  // nullopt. May stat (and re-read) the file first, at most once per check
  // interval. A changed file that cannot be read or parsed logs one warning
  // per change and leaves the previous table in force. Thread-safe.
  std::optional<Identity> Find(absl::string_view token);

  const std::string& path() const { return path_; }

 private:
  // What tells one version of the file from another. Rewriting a file in
  // place within one kernel timestamp tick, at the same size, can go
  // unseen: replace the file by rename(2) to be sure.
  struct Version {
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const Version& other) const;
  };
  static absl::StatusOr<Version> StatFile(const std::string& path);
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  TokenFile(std::string path, Clock* clock, absl::Duration check_interval,
            Version version, TokenTable table);
  std::shared_ptr<const TokenTable> Current();

  const std::string path_;
  Clock* const clock_;
  const absl::Duration check_interval_;

  absl::Mutex mu_;
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  // The version last looked at, good or not; nullopt when stat failed.
  std::optional<Version> seen_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::auth

#endif  // FARM_AUTH_TOKEN_FILE_H_
