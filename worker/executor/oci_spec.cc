#include "worker/executor/oci_spec.h"

#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace farm::executor {
namespace {

using nlohmann::json;

json MountJson(const std::string& destination, const std::string& type,
               const std::string& source, std::vector<std::string> options) {
  json mount = {
      {"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) mount["options"] = std::move(options);
  return mount;
}

json DeviceRule(bool allow, const std::string& type, int64_t major,
                int64_t minor, const std::string& access) {
  json rule = {{"allow", allow}, {"access", access}};
  if (!type.empty()) rule["type"] = type;
  // -1 is the wildcard '*'; the OCI spec expresses it by omission.
  if (major >= 0) rule["major"] = major;
  if (minor >= 0) rule["minor"] = minor;
  return rule;
}

// Docker's device cgroup: nothing but mknod and the devices runc creates in
// /dev, plus ptys and tun.
json SandboxDeviceRules() {
  return json::array({
      DeviceRule(false, "", -1, -1, "rwm"), DeviceRule(true, "c", -1, -1, "m"),
      DeviceRule(true, "b", -1, -1, "m"),
      DeviceRule(true, "c", 1, 3, "rwm"),     // null
      DeviceRule(true, "c", 1, 5, "rwm"),     // zero
      DeviceRule(true, "c", 1, 7, "rwm"),     // full
      DeviceRule(true, "c", 1, 8, "rwm"),     // random
      DeviceRule(true, "c", 1, 9, "rwm"),     // urandom
      DeviceRule(true, "c", 5, 0, "rwm"),     // tty
      DeviceRule(true, "c", 5, 1, "rwm"),     // console
      DeviceRule(true, "c", 5, 2, "rwm"),     // ptmx
      DeviceRule(true, "c", 136, -1, "rwm"),  // pts/*
      DeviceRule(true, "c", 10, 200, "rwm"),  // net/tun
  });
}

json Device(const std::string& path, const std::string& type, int64_t major,
            int64_t minor) {
  return {{"path", path}, {"type", type}, {"major", major}, {"minor", minor}};
}

// The extra devices BuildKit's insecure mode creates in /dev.
json InsecureDevices(int first_free_loop) {
  json devices = json::array({
      Device("/dev/kmsg", "c", 1, 11),
      Device("/dev/cuse", "c", 10, 203),
      Device("/dev/fuse", "c", 10, 229),
      Device("/dev/kvm", "c", 10, 232),
      Device("/dev/net/tun", "c", 10, 200),
      Device("/dev/loop-control", "c", 10, 237),
  });
  for (int i = 0; i <= first_free_loop + 7; ++i) {
    devices.push_back(Device(absl::StrCat("/dev/loop", i), "b", 7, i));
  }
  return devices;
}

json Mounts(const ProcessSpec& spec, const SpecInputs& inputs) {
  const bool insecure = spec.security == SecurityMode::kInsecure;
  const std::vector<std::string> ro_bind = {"nosuid", "noexec", "nodev",
                                            "rbind", "ro"};
  json mounts = json::array({
      MountJson("/proc", "proc", "proc", {}),
      MountJson("/dev", "tmpfs", "tmpfs",
                {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      MountJson("/dev/pts", "devpts", "devpts",
                {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                 "mode=0620", "gid=5"}),
      MountJson("/dev/shm", "tmpfs", "shm",
                {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      MountJson("/dev/mqueue", "mqueue", "mqueue",
                {"nosuid", "noexec", "nodev"}),
      MountJson("/sys", "sysfs", "sysfs",
                {"nosuid", "noexec", "nodev", insecure ? "rw" : "ro"}),
      MountJson("/etc/resolv.conf", "bind", inputs.resolv_conf_file, ro_bind),
      MountJson("/etc/hosts", "bind", inputs.hosts_file, ro_bind),
  });
  if (!inputs.hostname_file.empty()) {
    mounts.push_back(
        MountJson("/etc/hostname", "bind", inputs.hostname_file, ro_bind));
  }
  mounts.push_back(
      MountJson("/sys/fs/cgroup", "cgroup", "cgroup",
                {"nosuid", "noexec", "nodev", insecure ? "rw" : "ro"}));
  for (const Mount& mount : spec.mounts) {
    std::vector<std::string> options;
    if (mount.type == Mount::Type::kBind) {
      options.push_back("rbind");
    } else {
      options.push_back("nosuid");
    }
    if (mount.readonly) options.push_back("ro");
    options.insert(options.end(), mount.options.begin(), mount.options.end());
    mounts.push_back(
        mount.type == Mount::Type::kBind
            ? MountJson(mount.target, "bind", mount.source, options)
            : MountJson(mount.target, "tmpfs", "tmpfs", options));
  }
  return mounts;
}

json Process(const ProcessSpec& spec, const SpecInputs& inputs) {
  const bool insecure = spec.security == SecurityMode::kInsecure;
  std::vector<std::string> caps =
      GrantedCapabilities(spec.security, inputs.held_capabilities);
  json capabilities = {{"bounding", caps}};
  // As Docker: a non-root process gets only the bounding set, which is what
  // it would keep across execve anyway.
  if (inputs.user.uid == 0) {
    capabilities["effective"] = caps;
    capabilities["permitted"] = caps;
  }
  std::vector<std::string> env = spec.env;
  if (spec.tty) {
    bool has_term = false;
    for (const std::string& entry : env) {
      has_term |= absl::StartsWith(entry, "TERM=");
    }
    if (!has_term) env.push_back("TERM=xterm");  // as `docker run -t`
  }
  json user = {{"uid", inputs.user.uid}, {"gid", inputs.user.gid}};
  if (!inputs.user.additional_gids.empty()) {
    user["additionalGids"] = inputs.user.additional_gids;
  }
  return {
      {"terminal", spec.tty},
      {"user", user},
      {"args", spec.args},
      {"env", env},
      {"cwd", spec.cwd},
      {"capabilities", capabilities},
      {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"},
                                {"hard", inputs.open_files_limit},
                                {"soft", inputs.open_files_limit}}})},
      {"noNewPrivileges", !insecure && spec.no_new_privileges},
  };
}

// Capability names in kernel order: the index is the capability's number.
constexpr const char* kCapabilityNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

}  // namespace

int CapabilityNumber(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kCapabilityNames)); ++i) {
    if (name == kCapabilityNames[i]) return i;
  }
  return -1;
}

std::vector<std::string> GrantedCapabilities(SecurityMode mode,
                                             uint64_t held_capabilities) {
  std::vector<std::string> caps;
  for (const std::string& cap : mode == SecurityMode::kInsecure
                                    ? InsecureCapabilities()
                                    : DefaultCapabilities()) {
    int number = CapabilityNumber(cap);
    if (number >= 0 && (held_capabilities >> number & 1) != 0) {
      caps.push_back(cap);
    }
  }
  return caps;
}

const std::vector<std::string>& DefaultCapabilities() {
  static const auto* caps = new std::vector<std::string>{
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_FSETID",
      "CAP_FOWNER",
      "CAP_MKNOD",
      "CAP_NET_RAW",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETFCAP",
      "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT",
      "CAP_KILL",
      "CAP_AUDIT_WRITE",
  };
  return *caps;
}

const std::vector<std::string>& InsecureCapabilities() {
  static const auto* caps = [] {
    auto* all = new std::vector<std::string>(DefaultCapabilities());
    for (const char* cap :
         {"CAP_MAC_ADMIN",      "CAP_MAC_OVERRIDE",  "CAP_DAC_READ_SEARCH",
          "CAP_SYS_PTRACE",     "CAP_SYS_MODULE",    "CAP_SYSLOG",
          "CAP_SYS_RAWIO",      "CAP_SYS_ADMIN",     "CAP_LINUX_IMMUTABLE",
          "CAP_SYS_BOOT",       "CAP_SYS_NICE",      "CAP_SYS_PACCT",
          "CAP_SYS_TTY_CONFIG", "CAP_SYS_TIME",      "CAP_WAKE_ALARM",
          "CAP_AUDIT_READ",     "CAP_AUDIT_CONTROL", "CAP_SYS_RESOURCE",
          "CAP_BLOCK_SUSPEND",  "CAP_IPC_LOCK",      "CAP_IPC_OWNER",
          "CAP_LEASE",          "CAP_NET_ADMIN",     "CAP_NET_BROADCAST"}) {
      all->push_back(cap);
    }
    return all;
  }();
  return *caps;
}

const std::vector<std::string>& MaskedPaths() {
  static const auto* paths = new std::vector<std::string>{
      "/proc/acpi",
      "/proc/asound",
      "/proc/interrupts",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/sys/devices/virtual/powercap",
      "/sys/firmware",
  };
  return *paths;
}

const std::vector<std::string>& ReadonlyPaths() {
  static const auto* paths = new std::vector<std::string>{
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return *paths;
}

absl::Status ValidateProcessSpec(const ProcessSpec& spec) {
  if (spec.args.empty()) return absl::InvalidArgumentError("no command to run");
  for (const std::string& entry : spec.env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment entry \"", entry, "\" is not NAME=VALUE"));
    }
  }
  if (!absl::StartsWith(spec.cwd, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("working directory \"", spec.cwd, "\" is not absolute"));
  }
  for (const Mount& mount : spec.mounts) {
    if (!absl::StartsWith(mount.target, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("mount target \"", mount.target, "\" is not absolute"));
    }
    if (mount.type == Mount::Type::kBind && mount.source.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bind mount at ", mount.target, " has no source"));
    }
  }
  if (spec.tty && !spec.attach_stdio) {
    return absl::InvalidArgumentError("a terminal needs attach_stdio");
  }
  if (!spec.published_ports.empty() && spec.network != NetworkMode::kPrivate) {
    return absl::InvalidArgumentError(
        "published ports need the container's own network");
  }
  for (char c : spec.container_id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("container id \"", spec.container_id, "\" is invalid"));
    }
  }
  return absl::OkStatus();
}

json BuildOciSpec(const ProcessSpec& spec, const SpecInputs& inputs) {
  const bool insecure = spec.security == SecurityMode::kInsecure;
  json namespaces = json::array({{{"type", "pid"}},
                                 {{"type", "ipc"}},
                                 {{"type", "uts"}},
                                 {{"type", "mount"}}});
  // No network namespace means the host's network (RUN --network=host).
  if (spec.network == NetworkMode::kNone ||
      (spec.network == NetworkMode::kPrivate &&
       inputs.network_namespace.empty())) {
    namespaces.push_back({{"type", "network"}});
  } else if (spec.network == NetworkMode::kPrivate) {
    namespaces.push_back(
        {{"type", "network"}, {"path", inputs.network_namespace}});
  }

  json linux = {{"namespaces", namespaces}};
  if (insecure) {
    linux["resources"] = {
        {"devices", json::array({DeviceRule(true, "c", -1, -1, "rwm"),
                                 DeviceRule(true, "b", -1, -1, "rwm")})}};
    linux["devices"] = InsecureDevices(inputs.first_free_loop);
  } else {
    linux["resources"] = {{"devices", SandboxDeviceRules()}};
    linux["maskedPaths"] = MaskedPaths();
    linux["readonlyPaths"] = ReadonlyPaths();
    if (spec.seccomp && inputs.seccomp != nullptr) {
      linux["seccomp"] = *inputs.seccomp;
    }
  }
  if (!inputs.cgroups_path.empty()) {
    linux["cgroupsPath"] = inputs.cgroups_path;
  }
  return {
      {"ociVersion", "1.0.2"},
      {"process", Process(spec, inputs)},
      {"root", {{"path", inputs.rootfs}, {"readonly", false}}},
      {"hostname", spec.hostname},
      {"mounts", Mounts(spec, inputs)},
      {"linux", linux},
  };
}

}  // namespace farm::executor
