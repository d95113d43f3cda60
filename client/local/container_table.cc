#include "client/local/container_table.h"

#include <sys/random.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace farm::client::local {
namespace {

constexpr char kRecordFile[] = "record.json";

absl::StatusOr<std::string> RandomHex(int bytes) {
  std::string raw(bytes, '\0');
  if (getrandom(raw.data(), raw.size(), 0) != bytes) {
    return ErrnoStatus(errno, "getrandom");
  }
  std::string out;
  for (unsigned char c : raw)
    absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out;
}

// Docker's rule for --name: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool ValidName(const std::string& name) {
  if (name.empty() || !absl::ascii_isalnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

// Docker-like generated names, "adjective_noun".
std::string GeneratedName(const std::string& id) {
  static const char* const kAdjectives[] = {
      "brave", "calm",  "eager", "fair",  "gentle", "happy", "keen", "lucid",
      "merry", "noble", "proud", "quiet", "sharp",  "swift", "tidy", "vivid"};
  static const char* const kNouns[] = {
      "barn",    "field",   "furrow",  "grove",   "harvest", "meadow",
      "orchard", "plow",    "silo",    "tractor", "wheat",   "acre",
      "hedge",   "paddock", "pasture", "stable"};
  unsigned value = std::stoul(id.substr(0, 4), nullptr, 16);
  return absl::StrCat(kAdjectives[value % 16], "_", kNouns[(value / 16) % 16],
                      "_", id.substr(4, 4));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerTable>> ContainerTable::Open(
    const std::string& dir) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  auto table = std::unique_ptr<ContainerTable>(new ContainerTable(dir));
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  absl::MutexLock lock(&table->mu_);
  for (const std::string& name : names) {
    absl::StatusOr<std::string> json =
        ReadFile(JoinPath(JoinPath(dir, name), kRecordFile));
    proto::ContainerRecord record;
    if (!json.ok() ||
        !google::protobuf::util::JsonStringToMessage(*json, &record).ok() ||
        record.id() != name) {
      FARM_LOG(WARNING) << "skipping the container record in "
                        << JoinPath(dir, name);
      continue;
    }
    table->records_[record.id()] = std::move(record);
  }
  return table;
}

absl::StatusOr<proto::ContainerRecord> ContainerTable::Create(
    const proto::ContainerConfig& config, bool attached, absl::Time now) {
  ASSIGN_OR_RETURN(std::string id, RandomHex(32));
  std::string name = config.name().empty() ? GeneratedName(id) : config.name();
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid container name (", name,
                     "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [other_id, other] : records_) {
    if (other.name() == name) {
      return absl::AlreadyExistsError(absl::StrCat(
          "Conflict. The container name \"/", name,
          "\" is already in use by container \"", other_id,
          "\". You have to remove (or rename) that container to be able to "
          "reuse that name."));
    }
  }
  proto::ContainerRecord record;
  record.set_id(id);
  record.set_name(name);
  *record.mutable_config() = config;
  record.set_state("created");
  record.set_attached(attached);
  record.set_created_unix_nanos(absl::ToUnixNanos(now));
  record.set_runtime_id(absl::StrCat("run-", ShortId(id)));
  RETURN_IF_ERROR(MakeDirs(JoinPath(dir_, id), 0700));
  RETURN_IF_ERROR(Save(record));
  records_[id] = record;
  return record;
}

absl::StatusOr<proto::ContainerRecord> ContainerTable::Find(
    const std::string& ref) const {
  absl::MutexLock lock(&mu_);
  const proto::ContainerRecord* found = nullptr;
  int prefixed = 0;
  for (const auto& [id, record] : records_) {
    if (record.name() == ref || record.name() == absl::StripPrefix(ref, "/") ||
        id == ref) {
      return record;
    }
    if (!ref.empty() && absl::StartsWith(id, ref)) {
      found = &record;
      ++prefixed;
    }
  }
  if (prefixed > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("multiple IDs found with provided prefix: ", ref));
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("No such container: ", ref));
  }
  return *found;
}

std::vector<proto::ContainerRecord> ContainerTable::List(bool all) const {
  absl::MutexLock lock(&mu_);
  std::vector<proto::ContainerRecord> out;
  for (const auto& [id, record] : records_) {
    if (all || record.state() == "running") out.push_back(record);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_unix_nanos() > b.created_unix_nanos();
  });
  return out;
}

absl::Status ContainerTable::Update(const proto::ContainerRecord& record) {
  absl::MutexLock lock(&mu_);
  if (records_.count(record.id()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("No such container: ", record.id()));
  }
  RETURN_IF_ERROR(Save(record));
  records_[record.id()] = record;
  return absl::OkStatus();
}

absl::Status ContainerTable::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  records_.erase(id);
  return RemoveAll(JoinPath(dir_, id));
}

std::string ContainerTable::LogPath(const std::string& id) const {
  return JoinPath(JoinPath(dir_, id), "output.log");
}

std::string ContainerTable::UserOfImage(const std::string& image_id) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, record] : records_) {
    if (record.config().image_id() == image_id) return ShortId(id);
  }
  return "";
}

absl::Status ContainerTable::Save(const proto::ContainerRecord& record) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(record, &json, options)
           .ok()) {
    return absl::InternalError("encoding a container record");
  }
  return WriteFileAtomic(JoinPath(JoinPath(dir_, record.id()), kRecordFile),
                         json, 0600);
}

}  // namespace farm::client::local
