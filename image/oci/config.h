// The image configuration (OCI image spec config.md plus Docker's additions:
// Healthcheck, Shell, OnBuild). Unknown fields survive a parse and re-encode,
// so editing a config written by another tool loses nothing.
#ifndef FARM_IMAGE_OCI_CONFIG_H_
#define FARM_IMAGE_OCI_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/digest.h"
#include "image/oci/json_fields.h"

namespace farm::image::oci {

// Docker's HEALTHCHECK; durations are nanoseconds as in Docker's JSON.
struct Healthcheck {
  std::vector<std::string> test;
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int64_t retries = 0;
};

// The "config" object: defaults for a container run from the image.
struct ContainerConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;         // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::set<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  bool args_escaped = false;
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> on_build;
  std::vector<std::string> shell;
  Json extra = Json::object();  // fields farm does not model
};

struct History {
  std::optional<absl::Time> created;
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::optional<absl::Time> created;
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  ContainerConfig config;
  std::string rootfs_type = "layers";
  std::vector<Digest> diff_ids;
  std::vector<History> history;
  Json extra = Json::object();

  // kInvalidArgument naming the field for malformed input or a missing
  // architecture, os or rootfs.
  static absl::StatusOr<ImageConfig> Parse(absl::string_view json);
  // Canonical bytes: sorted keys, empty fields omitted as Docker does.
  std::string ToJson() const;
};

// `config_json` with `labels` set over its own labels, as `docker build
// --label` leaves them; the same bytes when `labels` is empty. Parse's
// errors otherwise.
absl::StatusOr<std::string> WithLabels(
    absl::string_view config_json,
    const std::map<std::string, std::string>& labels);

}  // namespace farm::image::oci

#endif  // FARM_IMAGE_OCI_CONFIG_H_
