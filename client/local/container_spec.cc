#include "client/local/container_spec.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace farm::client::local {
namespace {

absl::StatusOr<int> PortNumber(absl::string_view text,
                               const std::string& spec) {
  int port = 0;
  if (!absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port \"", text, "\" in \"", spec, "\""));
  }
  return port;
}

}  // namespace

absl::StatusOr<executor::ProcessSpec> ProcessSpecOf(
    const proto::ContainerConfig& config, const std::string& runtime_id,
    bool attached) {
  executor::ProcessSpec spec;
  spec.args.assign(config.args().begin(), config.args().end());
  spec.env.assign(config.env().begin(), config.env().end());
  spec.cwd = config.cwd().empty() ? "/" : config.cwd();
  spec.user = config.user();
  spec.hostname = config.hostname();
  if (config.network().empty() || config.network() == "bridge" ||
      config.network() == "default") {
    spec.network = executor::NetworkMode::kPrivate;
  } else if (config.network() == "host") {
    spec.network = executor::NetworkMode::kHost;
  } else if (config.network() == "none") {
    spec.network = executor::NetworkMode::kNone;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("network ", config.network(),
                     " not found (farm run knows bridge, host and none)"));
  }
  for (const proto::PortMapping& port : config.ports()) {
    spec.published_ports.push_back({port.protocol(), port.host_ip(),
                                    port.host_port(), port.container_port()});
  }
  for (const proto::BindMount& bind : config.mounts()) {
    executor::Mount mount;
    mount.source = bind.source();
    mount.target = bind.target();
    mount.readonly = bind.readonly();
    spec.mounts.push_back(std::move(mount));
  }
  spec.security = executor::SecurityMode::kSandbox;
  spec.no_new_privileges = false;  // as `docker run` without --security-opt
  spec.bind_etc_hostname = true;
  spec.attach_stdio = attached;
  spec.tty = attached && config.tty();
  spec.attach_stdin = config.interactive();
  spec.container_id = runtime_id;
  return spec;
}

absl::StatusOr<proto::PortMapping> ParsePublish(const std::string& spec) {
  proto::PortMapping port;
  absl::string_view rest = spec;
  port.set_protocol("tcp");
  if (size_t slash = rest.rfind('/'); slash != absl::string_view::npos) {
    std::string protocol(rest.substr(slash + 1));
    if (protocol != "tcp" && protocol != "udp") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid proto \"", protocol, "\" in \"", spec, "\""));
    }
    port.set_protocol(protocol);
    rest = rest.substr(0, slash);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, ':');
  if (parts.size() == 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", spec, "\": give the host port too (HOSTPORT:CONTAINERPORT)"));
  }
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid published port \"", spec, "\""));
  }
  port.set_host_ip(parts.size() == 3 && !parts[0].empty()
                       ? std::string(parts[0])
                       : "0.0.0.0");
  absl::StatusOr<int> host = PortNumber(parts[parts.size() - 2], spec);
  if (!host.ok()) return host.status();
  absl::StatusOr<int> container = PortNumber(parts.back(), spec);
  if (!container.ok()) return container.status();
  port.set_host_port(*host);
  port.set_container_port(*container);
  return port;
}

absl::StatusOr<proto::BindMount> ParseVolume(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() ||
      parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid volume \"", spec, "\" (HOSTDIR:DIR[:ro])"));
  }
  if (parts[0][0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", spec,
        "\": the host directory must be absolute (named volumes are not "
        "supported)"));
  }
  if (parts[1][0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid volume \"", spec, "\": the container path must be absolute"));
  }
  proto::BindMount mount;
  mount.set_source(parts[0]);
  mount.set_target(parts[1]);
  if (parts.size() == 3) {
    if (parts[2] != "ro" && parts[2] != "rw") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mode \"", parts[2], "\" in \"", spec, "\""));
    }
    mount.set_readonly(parts[2] == "ro");
  }
  return mount;
}

int ExitCodeForError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return 125;
  return absl::StrContains(status.message(), "not found") ||
                 absl::StrContains(status.message(), "no such file")
             ? 127
             : 126;
}

std::string PortText(const proto::PortMapping& port) {
  return absl::StrCat(port.host_ip(), ":", port.host_port(), "->",
                      port.container_port(), "/", port.protocol());
}

}  // namespace farm::client::local
