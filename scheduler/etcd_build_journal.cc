#include "scheduler/etcd_build_journal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::scheduler {

namespace {

// Build ids are "b" and hex (NewBuildId); anything else is not ours to
// put into a key.
absl::Status CheckBuildId(const std::string& id) {
  bool ok = id.size() > 1 && id.size() <= 64 && id[0] == 'b';
  for (size_t i = 1; ok && i < id.size(); ++i) {
    ok = absl::ascii_isxdigit(static_cast<unsigned char>(id[i]));
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", id, "\" is not a build id"));
}

}  // namespace

EtcdBuildJournal::EtcdBuildJournal(etcd::EtcdClient* client,
                                   const std::string& prefix,
                                   FencedWriter write)
    : client_(client),
      dir_(absl::StrCat(prefix, "/builds/")),
      write_(std::move(write)) {}

absl::Status EtcdBuildJournal::Write(etcd::Op op, const std::string& build_id) {
  etcd::TxnRequest txn;
  txn.success.push_back(std::move(op));
  absl::StatusOr<etcd::TxnResponse> done = write_(std::move(txn));
  if (!done.ok()) {
    return absl::Status(done.status().code(),
                        absl::StrCat("journal of build ", build_id, " (", dir_,
                                     "): ", done.status().message()));
  }
  return absl::OkStatus();
}

absl::Status EtcdBuildJournal::Record(const proto::BuildRecord& record) {
  RETURN_IF_ERROR(CheckBuildId(record.build_id()));
  if (!record.request().secrets().empty()) {
    return absl::InvalidArgumentError(
        "a build's secrets are never written to the journal");
  }
  return Write(
      etcd::Op::Put(dir_ + record.build_id(), record.SerializeAsString()),
      record.build_id());
}

absl::Status EtcdBuildJournal::Forget(const std::string& build_id) {
  RETURN_IF_ERROR(CheckBuildId(build_id));
  return Write(etcd::Op::Delete(dir_ + build_id), build_id);
}

absl::StatusOr<std::vector<proto::BuildRecord>> EtcdBuildJournal::Unfinished() {
  ASSIGN_OR_RETURN(etcd::RangeResponse range, client_->GetPrefix(dir_));
  std::vector<proto::BuildRecord> records;
  for (const etcd::KeyValue& kv : range.kvs) {
    proto::BuildRecord record;
    // The key names the build its value records: Forget deletes no other.
    if (!record.ParseFromString(kv.value) ||
        kv.key != dir_ + record.build_id()) {
      return absl::DataLossError(
          absl::StrCat("the journal's ", kv.key, " is not a build record"));
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace farm::scheduler
