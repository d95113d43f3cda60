#include "worker/executor/oci_spec.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

SpecInputs Inputs() {
  SpecInputs inputs;
  inputs.rootfs = "/var/lib/farm/merged/1";
  inputs.hosts_file = "/b/hosts";
  inputs.resolv_conf_file = "/b/resolv.conf";
  return inputs;
}

ProcessSpec Spec() {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", "make"};
  spec.env = {"PATH=/usr/bin:/bin", "A=b=c"};
  spec.cwd = "/src";
  return spec;
}

std::vector<std::string> Destinations(const json& config) {
  std::vector<std::string> out;
  for (const json& mount : config["mounts"]) {
    out.push_back(mount["destination"]);
  }
  return out;
}

const json& MountAt(const json& config, const std::string& destination) {
  for (const json& mount : config["mounts"]) {
    if (mount["destination"] == destination) return mount;
  }
  static const json kNone;
  return kNone;
}

std::vector<std::string> Namespaces(const json& config) {
  std::vector<std::string> out;
  for (const json& ns : config["linux"]["namespaces"]) {
    out.push_back(ns["type"]);
  }
  return out;
}

TEST(OciSpecTest, ProcessFields) {
  json config = BuildOciSpec(Spec(), Inputs());
  EXPECT_EQ(config["ociVersion"], "1.0.2");
  const json& process = config["process"];
  EXPECT_EQ(process["args"], json({"/bin/sh", "-c", "make"}));
  EXPECT_EQ(process["env"], json({"PATH=/usr/bin:/bin", "A=b=c"}));
  EXPECT_EQ(process["cwd"], "/src");
  EXPECT_EQ(process["terminal"], false);
  EXPECT_EQ(process["user"], json({{"uid", 0}, {"gid", 0}}));
  EXPECT_EQ(process["noNewPrivileges"], true);
  EXPECT_EQ(process["rlimits"],
            json::parse(
                R"([{"type":"RLIMIT_NOFILE","hard":1048576,"soft":1048576}])"));
  EXPECT_EQ(config["root"],
            json({{"path", "/var/lib/farm/merged/1"}, {"readonly", false}}));
  EXPECT_EQ(config["hostname"], "buildkitsandbox");
}

TEST(OciSpecTest, DockersDefaultCapabilitiesForRoot) {
  json caps = BuildOciSpec(Spec(), Inputs())["process"]["capabilities"];
  // Which 14 they are is pinned by their kernel mask in
  // CapabilityNumbersAreTheKernels.
  json expected = DefaultCapabilities();
  EXPECT_EQ(expected.size(), 14u);
  EXPECT_EQ(caps["bounding"], expected);
  EXPECT_EQ(caps["effective"], expected);
  EXPECT_EQ(caps["permitted"], expected);
  EXPECT_FALSE(caps.contains("inheritable"));
  EXPECT_FALSE(caps.contains("ambient"));
}

TEST(OciSpecTest, NonRootUserGetsOnlyTheBoundingSetAndItsGroups) {
  SpecInputs inputs = Inputs();
  inputs.user = ResolvedUser{1000, 1000, {50, 29}};
  json process = BuildOciSpec(Spec(), inputs)["process"];
  EXPECT_EQ(process["user"],
            json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {50, 29}}}));
  EXPECT_EQ(process["capabilities"]["bounding"].size(), 14u);
  EXPECT_FALSE(process["capabilities"].contains("effective"));
  EXPECT_FALSE(process["capabilities"].contains("permitted"));
}

TEST(OciSpecTest, BuildKitMountsInOrder) {
  json config = BuildOciSpec(Spec(), Inputs());
  EXPECT_THAT(
      Destinations(config),
      ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
                  "/sys", "/etc/resolv.conf", "/etc/hosts", "/sys/fs/cgroup"));
  EXPECT_EQ(
      MountAt(config, "/dev"),
      json::parse(R"({"destination":"/dev","type":"tmpfs","source":"tmpfs",
                "options":["nosuid","strictatime","mode=755","size=65536k"]})"));
  EXPECT_EQ(MountAt(config, "/sys")["options"],
            json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ(MountAt(config, "/sys/fs/cgroup")["options"],
            json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ(
      MountAt(config, "/etc/hosts"),
      json::parse(
          R"({"destination":"/etc/hosts","type":"bind","source":"/b/hosts",
                "options":["nosuid","noexec","nodev","rbind","ro"]})"));
  EXPECT_EQ(MountAt(config, "/etc/resolv.conf")["source"], "/b/resolv.conf");
  EXPECT_EQ(MountAt(config, "/dev/shm")["options"],
            json({"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
}

TEST(OciSpecTest, EtcHostnameOnlyWhenAsked) {
  SpecInputs inputs = Inputs();
  inputs.hostname_file = "/b/hostname";
  ProcessSpec spec = Spec();
  spec.bind_etc_hostname = true;
  spec.hostname = "web1";
  json config = BuildOciSpec(spec, inputs);
  EXPECT_EQ(MountAt(config, "/etc/hostname")["source"], "/b/hostname");
  EXPECT_EQ(config["hostname"], "web1");
}

TEST(OciSpecTest, ExtraMountsComeLastWithTheirOptions) {
  ProcessSpec spec = Spec();
  spec.mounts.push_back(
      Mount{Mount::Type::kBind, "/cache/go", "/root/.cache", false, {}});
  spec.mounts.push_back(Mount{
      Mount::Type::kBind, "/secrets/token", "/run/secrets/token", true, {}});
  spec.mounts.push_back(
      Mount{Mount::Type::kTmpfs, "", "/scratch", false, {"size=64m"}});
  json config = BuildOciSpec(spec, Inputs());
  const json& mounts = config["mounts"];
  ASSERT_EQ(mounts.size(), 12u);
  EXPECT_EQ(mounts[9],
            json::parse(R"({"destination":"/root/.cache","type":"bind",
      "source":"/cache/go","options":["rbind"]})"));
  EXPECT_EQ(mounts[10]["options"], json({"rbind", "ro"}));
  EXPECT_EQ(mounts[11], json::parse(R"({"destination":"/scratch","type":"tmpfs",
      "source":"tmpfs","options":["nosuid","size=64m"]})"));
}

TEST(OciSpecTest, SandboxMasksPathsAndRestrictsDevices) {
  json linux = BuildOciSpec(Spec(), Inputs())["linux"];
  EXPECT_EQ(
      linux["maskedPaths"],
      json({"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
            "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
            "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
            "/sys/devices/virtual/powercap", "/sys/firmware"}));
  EXPECT_EQ(linux["readonlyPaths"], json({"/proc/bus", "/proc/fs", "/proc/irq",
                                          "/proc/sys", "/proc/sysrq-trigger"}));
  const json& devices = linux["resources"]["devices"];
  EXPECT_EQ(devices[0], json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_THAT(devices, Contains(json({{"allow", true},
                                      {"type", "c"},
                                      {"major", 1},
                                      {"minor", 3},
                                      {"access", "rwm"}})));
  EXPECT_THAT(devices, Contains(json({{"allow", true},
                                      {"type", "c"},
                                      {"major", 136},
                                      {"access", "rwm"}})));
  EXPECT_FALSE(linux.contains("devices"));
}

TEST(OciSpecTest, NamespacesFollowTheNetworkMode) {
  ProcessSpec spec = Spec();
  spec.network = NetworkMode::kHost;
  EXPECT_THAT(Namespaces(BuildOciSpec(spec, Inputs())),
              ElementsAre("pid", "ipc", "uts", "mount"));
  spec.network = NetworkMode::kNone;
  EXPECT_THAT(Namespaces(BuildOciSpec(spec, Inputs())),
              ElementsAre("pid", "ipc", "uts", "mount", "network"));
}

TEST(OciSpecTest, InsecureModeIsPrivileged) {
  ProcessSpec spec = Spec();
  spec.security = SecurityMode::kInsecure;
  SpecInputs inputs = Inputs();
  inputs.first_free_loop = 2;
  json config = BuildOciSpec(spec, inputs);
  const json& caps = config["process"]["capabilities"]["effective"];
  EXPECT_EQ(caps.size(), 38u);
  EXPECT_THAT(caps, Contains("CAP_SYS_ADMIN"));
  EXPECT_THAT(caps, Contains("CAP_NET_ADMIN"));
  EXPECT_EQ(config["process"]["noNewPrivileges"], false);
  EXPECT_FALSE(config["linux"].contains("maskedPaths"));
  EXPECT_FALSE(config["linux"].contains("readonlyPaths"));
  EXPECT_EQ(MountAt(config, "/sys")["options"],
            json({"nosuid", "noexec", "nodev", "rw"}));
  EXPECT_EQ(MountAt(config, "/sys/fs/cgroup")["options"],
            json({"nosuid", "noexec", "nodev", "rw"}));
  EXPECT_EQ(config["linux"]["resources"]["devices"],
            json::parse(R"([{"allow":true,"type":"c","access":"rwm"},
                            {"allow":true,"type":"b","access":"rwm"}])"));
  const json& devices = config["linux"]["devices"];
  EXPECT_THAT(devices, Contains(json({{"path", "/dev/fuse"},
                                      {"type", "c"},
                                      {"major", 10},
                                      {"minor", 229}})));
  // Loop devices up to the first free one + 7.
  EXPECT_EQ(
      devices.back(),
      json(
          {{"path", "/dev/loop9"}, {"type", "b"}, {"major", 7}, {"minor", 9}}));
}

TEST(OciSpecTest, CapabilitiesTheWorkerLacksAreLeftOut) {
  ProcessSpec spec = Spec();
  spec.security = SecurityMode::kInsecure;
  SpecInputs inputs = Inputs();
  inputs.held_capabilities &=
      ~(uint64_t{1} << CapabilityNumber("CAP_SYS_RESOURCE"));
  inputs.held_capabilities &= ~(uint64_t{1} << CapabilityNumber("CAP_CHOWN"));
  json caps = BuildOciSpec(spec, inputs)["process"]["capabilities"]["bounding"];
  EXPECT_EQ(caps.size(), 36u);
  EXPECT_THAT(caps, Not(Contains("CAP_SYS_RESOURCE")));
  EXPECT_THAT(caps, Not(Contains("CAP_CHOWN")));
}

TEST(OciSpecTest, GrantedCapabilitiesAreTheSpecsBoundingSet) {
  // The seccomp profile is computed for this list, so it must be the one the
  // spec carries.
  uint64_t held = ~(uint64_t{1} << CapabilityNumber("CAP_NET_RAW"));
  std::vector<std::string> granted =
      GrantedCapabilities(SecurityMode::kSandbox, held);
  EXPECT_EQ(granted.size(), DefaultCapabilities().size() - 1);
  EXPECT_THAT(granted, Not(Contains("CAP_NET_RAW")));
  SpecInputs inputs = Inputs();
  inputs.held_capabilities = held;
  EXPECT_EQ(BuildOciSpec(Spec(), inputs)["process"]["capabilities"]["bounding"],
            json(granted));
  EXPECT_EQ(GrantedCapabilities(SecurityMode::kInsecure, ~uint64_t{0}),
            InsecureCapabilities());
}

TEST(OciSpecTest, SeccompOnlyInSandboxModeAndWhenAsked) {
  const json section = {{"defaultAction", "SCMP_ACT_ERRNO"}};
  SpecInputs inputs = Inputs();
  inputs.seccomp = &section;
  ProcessSpec spec = Spec();
  EXPECT_EQ(BuildOciSpec(spec, inputs)["linux"]["seccomp"], section);
  spec.seccomp = false;
  EXPECT_FALSE(BuildOciSpec(spec, inputs)["linux"].contains("seccomp"));
  spec.seccomp = true;
  spec.security = SecurityMode::kInsecure;
  EXPECT_FALSE(BuildOciSpec(spec, inputs)["linux"].contains("seccomp"));
}

TEST(OciSpecTest, CapabilityNumbersAreTheKernels) {
  EXPECT_EQ(CapabilityNumber("CAP_CHOWN"), 0);
  EXPECT_EQ(CapabilityNumber("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(CapabilityNumber("CAP_SYS_RESOURCE"), 24);
  EXPECT_EQ(CapabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityNumber("CAP_NOPE"), -1);
  // Docker's default set is the well-known mask 0xa80425fb.
  uint64_t mask = 0;
  for (const std::string& cap : DefaultCapabilities()) {
    mask |= uint64_t{1} << CapabilityNumber(cap);
  }
  EXPECT_EQ(mask, 0xa80425fbu);
}

TEST(OciSpecTest, OpenFilesLimitComesFromTheInputs) {
  SpecInputs inputs = Inputs();
  inputs.open_files_limit = 20000;
  EXPECT_EQ(BuildOciSpec(Spec(), inputs)["process"]["rlimits"][0]["hard"],
            20000);
}

TEST(OciSpecTest, NoNewPrivilegesCanBeTurnedOff) {
  ProcessSpec spec = Spec();
  spec.no_new_privileges = false;
  EXPECT_EQ(BuildOciSpec(spec, Inputs())["process"]["noNewPrivileges"], false);
}

TEST(OciSpecTest, TtyAddsTermUnlessSet) {
  ProcessSpec spec = Spec();
  spec.attach_stdio = spec.tty = true;
  json process = BuildOciSpec(spec, Inputs())["process"];
  EXPECT_EQ(process["terminal"], true);
  EXPECT_THAT(process["env"], Contains("TERM=xterm"));
  spec.env.push_back("TERM=vt100");
  process = BuildOciSpec(spec, Inputs())["process"];
  EXPECT_THAT(process["env"], Not(Contains("TERM=xterm")));
}

TEST(ValidateProcessSpecTest, RejectsWhatRuncCannotRun) {
  EXPECT_TRUE(ValidateProcessSpec(Spec()).ok());
  auto expect_invalid = [](ProcessSpec spec, const std::string& message) {
    absl::Status status = ValidateProcessSpec(spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(status.message(), HasSubstr(message));
  };
  ProcessSpec spec = Spec();
  spec.args.clear();
  expect_invalid(spec, "no command to run");
  spec = Spec();
  spec.env.push_back("NOVALUE");
  expect_invalid(spec, "environment entry \"NOVALUE\" is not NAME=VALUE");
  spec = Spec();
  spec.env.push_back("=x");
  expect_invalid(spec, "\"=x\"");
  spec = Spec();
  spec.cwd = "src";
  expect_invalid(spec, "working directory \"src\" is not absolute");
  spec = Spec();
  spec.mounts.push_back(Mount{Mount::Type::kTmpfs, "", "tmp", false, {}});
  expect_invalid(spec, "mount target \"tmp\" is not absolute");
  spec = Spec();
  spec.mounts.push_back(Mount{Mount::Type::kBind, "", "/x", false, {}});
  expect_invalid(spec, "bind mount at /x has no source");
  spec = Spec();
  spec.tty = true;
  expect_invalid(spec, "a terminal needs attach_stdio");
}

}  // namespace
}  // namespace farm::executor
