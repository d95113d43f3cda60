// The local server's container records: in memory, and each in
// DIR/ID/record.json too, so that `farm ps -a` outlives the server (it exits
// when idle). Names and id prefixes resolve as Docker resolves them.
#ifndef FARM_CLIENT_LOCAL_CONTAINER_TABLE_H_
#define FARM_CLIENT_LOCAL_CONTAINER_TABLE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/container.pb.h"

namespace farm::client::local {

class ContainerTable {
 public:
  // Loads the records under `dir` (created if missing). A record that
  // cannot be read is skipped with a warning.
  static absl::StatusOr<std::unique_ptr<ContainerTable>> Open(
      const std::string& dir);

  // A new record in state "created", with a fresh id and config.name or a
  // generated name. kAlreadyExists, in Docker's words, when the name is
  // taken; kInvalidArgument for a name Docker would refuse.
  absl::StatusOr<proto::ContainerRecord> Create(
      const proto::ContainerConfig& config, bool attached, absl::Time now);
  // By name, full id or unique id prefix. kNotFound "No such container: X";
  // kInvalidArgument for a prefix of several ids.
  absl::StatusOr<proto::ContainerRecord> Find(const std::string& ref) const;
  // Newest first; exited ones only with `all`.
  std::vector<proto::ContainerRecord> List(bool all) const;
  // Replaces the record with record.id (and its file).
  absl::Status Update(const proto::ContainerRecord& record);
  // Forgets the record and deletes its directory (and log).
  absl::Status Remove(const std::string& id);

  // Where a detached container's output goes.
  std::string LogPath(const std::string& id) const;
  // The short id of a container made from the image `image_id`, "" when
  // none is.
  std::string UserOfImage(const std::string& image_id) const;

 private:
  explicit ContainerTable(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Save(const proto::ContainerRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  mutable absl::Mutex mu_;
  std::map<std::string, proto::ContainerRecord> records_ ABSL_GUARDED_BY(mu_);
};

// The twelve-digit form `farm ps` shows.
inline std::string ShortId(const std::string& id) { return id.substr(0, 12); }

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_CONTAINER_TABLE_H_
