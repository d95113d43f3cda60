// EtcdBuildJournal: a BuildJournal in etcd, one key per running build
// (PREFIX/builds/<build id> holding its serialized proto::BuildRecord),
// written through the leader's fence so that a scheduler that lost the
// lead can neither record nor forget builds.
#ifndef FARM_SCHEDULER_ETCD_BUILD_JOURNAL_H_
#define FARM_SCHEDULER_ETCD_BUILD_JOURNAL_H_

#include <functional>
#include <string>
#include <vector>

#include "common/etcd/etcd_client.h"
#include "common/etcd/etcd_types.h"
#include "scheduler/build_journal.h"
#include "scheduler/etcd_keys.h"

namespace farm::scheduler {

class EtcdBuildJournal : public BuildJournal {
 public:
  // `client` must outlive the journal; keys go under `prefix` + "/builds/";
  // `write` runs each write under the leader's fence.
  EtcdBuildJournal(etcd::EtcdClient* client, const std::string& prefix,
                   FencedWriter write);

  absl::Status Record(const proto::BuildRecord& record) override;
  absl::Status Forget(const std::string& build_id) override;
  absl::StatusOr<std::vector<proto::BuildRecord>> Unfinished() override;

 private:
  absl::Status Write(etcd::Op op, const std::string& build_id);

  etcd::EtcdClient* client_;
  const std::string dir_;  // PREFIX/builds/
  FencedWriter write_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_ETCD_BUILD_JOURNAL_H_
