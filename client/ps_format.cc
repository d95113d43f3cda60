#include "client/ps_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/human_format.h"
#include "client/local/container_spec.h"

namespace farm::client {
namespace {

std::string Quoted(const proto::ContainerRecord& record, bool no_trunc) {
  std::string command = absl::StrJoin(record.config().args(), " ");
  if (!no_trunc && command.size() > 20) command = command.substr(0, 19) + "…";
  return absl::StrCat("\"", command, "\"");
}

}  // namespace

std::string ContainerStatus(const proto::ContainerRecord& record,
                            absl::Time now) {
  if (record.state() == "running") {
    return absl::StrCat(
        "Up ",
        HumanDuration(now - absl::FromUnixNanos(record.started_unix_nanos())));
  }
  if (record.state() == "exited") {
    return absl::StrCat(
        "Exited (", record.exit_code(), ") ",
        HumanDuration(now - absl::FromUnixNanos(record.finished_unix_nanos())),
        " ago");
  }
  return "Created";
}

std::string PsTable(const std::vector<proto::ContainerRecord>& records,
                    absl::Time now, bool no_trunc) {
  std::vector<std::vector<std::string>> rows = {{"CONTAINER ID", "IMAGE",
                                                 "COMMAND", "CREATED", "STATUS",
                                                 "PORTS", "NAMES"}};
  for (const proto::ContainerRecord& record : records) {
    std::vector<std::string> ports;
    for (const proto::PortMapping& port : record.config().ports()) {
      ports.push_back(local::PortText(port));
    }
    rows.push_back(
        {no_trunc ? record.id() : record.id().substr(0, 12),
         record.config().image(), Quoted(record, no_trunc),
         absl::StrCat(HumanDuration(now - absl::FromUnixNanos(
                                              record.created_unix_nanos())),
                      " ago"),
         ContainerStatus(record, now),
         record.state() == "running" ? absl::StrJoin(ports, ", ") : "",
         record.name()});
  }
  return FormatTable(rows);
}

}  // namespace farm::client
