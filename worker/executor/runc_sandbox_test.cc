// What a process sees inside a RuncExecutor container, checked with real
// runc against Docker's defaults: user, capabilities, /proc, /dev, /sys,
// the /etc files, hostname, network modes and limits. Needs root.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/etc_files.h"
#include "worker/executor/oci_spec.h"
#include "worker/executor/runc_executor.h"
#include "worker/executor/runc_test_util.h"

namespace farm::executor {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class SandboxTest : public RuncTest {
 protected:
  // Runs `script` and expects exit code 0; returns stdout.
  std::string Check(const std::string& script, ProcessSpec spec = {}) {
    Outcome outcome = Sh(script, spec);
    EXPECT_EQ(outcome.code(), 0) << script << ": " << outcome.status.status()
                                 << " " << absl::StrJoin(outcome.err, "\n");
    return outcome.Out();
  }
  // The value of a /proc/self/status field such as "CapEff".
  std::string Status(const std::string& field, ProcessSpec spec = {}) {
    return Check("sed -n 's/^" + field + ":[[:space:]]*//p' /proc/self/status",
                 spec);
  }
  static ProcessSpec As(const std::string& user) {
    ProcessSpec spec;
    spec.user = user;
    return spec;
  }
};

TEST_F(SandboxTest, UsersResolveFromTheRootfsAsInDocker) {
  // busybox's id prints "groups=" only when there are supplementary groups;
  // as in BuildKit, there are none unless the user is named alone.
  EXPECT_EQ(Check("id"), "uid=0(root) gid=0(root)");
  EXPECT_EQ(Check("id", As("app")),
            "uid=1000(app) gid=1000(app) groups=50(staff)");
  EXPECT_EQ(Check("id", As("1000")),
            "uid=1000(app) gid=1000(app) groups=50(staff)");
  EXPECT_EQ(Check("id", As("app:www-data")), "uid=1000(app) gid=33(www-data)");
  EXPECT_EQ(Check("id", As("1000:33")), "uid=1000(app) gid=33(www-data)");
  EXPECT_EQ(Check("id", As("web")),
            "uid=33(web) gid=33(www-data) groups=33(www-data)");
  EXPECT_EQ(Check("id -u; id -g", As("4242")), "4242\n0");
  EXPECT_EQ(Check("echo $HOME", As("app")), "/home/app");

  Outcome unknown = Sh("true", As("ghost"));
  EXPECT_EQ(unknown.status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status.status().message(),
            "unable to find user ghost: no matching entries in passwd file");
  Outcome bad_group = Sh("true", As("app:ghosts"));
  EXPECT_EQ(bad_group.status.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SandboxTest, DockersDefaultCapabilitiesAndNoNewPrivileges) {
  EXPECT_EQ(Status("CapEff"), "00000000a80425fb");
  EXPECT_EQ(Status("CapBnd"), "00000000a80425fb");
  EXPECT_EQ(Status("CapInh"), "0000000000000000");
  EXPECT_EQ(Status("NoNewPrivs"), "1");
  // A non-root process keeps the bounding set only.
  EXPECT_EQ(Status("CapEff", As("app")), "0000000000000000");
  EXPECT_EQ(Status("CapBnd", As("app")), "00000000a80425fb");

  ProcessSpec off;
  off.no_new_privileges = false;
  EXPECT_EQ(Status("NoNewPrivs", off), "0");
}

TEST_F(SandboxTest, DroppedCapabilitiesAreEnforced) {
  // CAP_CHOWN is kept, CAP_SYS_ADMIN (mount, sethostname) and CAP_SYS_NICE
  // are not.
  Check("touch /tmp/f && chown 1000:1000 /tmp/f");
  Outcome mount = Sh("mkdir -p /mnt/t && mount -t tmpfs none /mnt/t");
  EXPECT_NE(mount.code(), 0);
  EXPECT_THAT(absl::StrJoin(mount.err, "\n"), HasSubstr("ermission denied"));
  EXPECT_NE(Sh("hostname other").code(), 0);
  EXPECT_NE(Sh("nice -n -5 true").code(), 0);
}

TEST_F(SandboxTest, InsecureModeIsPrivileged) {
  ProcessSpec insecure;
  insecure.security = SecurityMode::kInsecure;
  EXPECT_EQ(Check("mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && "
                  "grep -c ' /mnt/t tmpfs' /proc/mounts",
                  insecure),
            "1");
  EXPECT_EQ(Status("NoNewPrivs", insecure), "0");
  EXPECT_NE(Status("CapEff", insecure), "00000000a80425fb");
  // Nothing masked, /sys writable.
  EXPECT_THAT(Check("grep ' /sys ' /proc/mounts", insecure), HasSubstr(" rw,"));
  EXPECT_NE(Check("wc -c < /proc/timer_list", insecure), "0");
}

TEST_F(SandboxTest, ProcDevAndSysAsDocker) {
  // Our shell is pid 1 of a fresh pid namespace, and alone in it (the shell
  // expands the glob itself, so no child races the count).
  EXPECT_EQ(Check("echo $$; set -- /proc/[0-9]*; echo $#"), "1\n1");
  // Masked: a file reads empty, a directory lists nothing (these two exist
  // on every host).
  ASSERT_GT(ReadFile("/proc/interrupts")->size(), 0u);
  EXPECT_EQ(Check("wc -c < /proc/interrupts; ls -A /sys/firmware | wc -l"),
            "0\n0");
  // Read-only: mounted ro.
  EXPECT_THAT(
      Check("grep -E ' /proc/(sys|bus|irq) ' /proc/mounts"),
      AllOf(HasSubstr("/proc/sys proc ro,"), HasSubstr("/proc/bus proc ro,")));
  EXPECT_NE(Sh("echo 1 > /proc/sys/kernel/domainname").code(), 0);
  // /sys is read-only.
  EXPECT_THAT(Check("grep ' /sys ' /proc/mounts"),
              HasSubstr("sysfs /sys sysfs ro,"));
  EXPECT_NE(Sh("touch /sys/kernel/x").code(), 0);
  // /dev is a small tmpfs with runc's devices, ptys, shm and mqueue.
  EXPECT_THAT(Check("grep ' /dev ' /proc/mounts"),
              HasSubstr("tmpfs /dev tmpfs rw,nosuid"));
  std::string dev = Check("ls /dev");
  for (const char* entry : {"null", "zero", "full", "random", "urandom", "tty",
                            "pts", "shm", "mqueue", "ptmx"}) {
    EXPECT_THAT(dev, HasSubstr(entry));
  }
  EXPECT_EQ(Check("echo hi > /dev/null && head -c 4 /dev/zero | wc -c"), "4");
  EXPECT_EQ(Check("echo x > /dev/shm/f && cat /dev/shm/f"), "x");
  // Every cgroup hierarchy (v1 or v2) is mounted read-only too.
  EXPECT_EQ(Check("awk '$3 ~ /^cgroup/ {n++; if ($4 !~ /^ro,/) rw++} "
                  "END {print (n > 0), rw + 0}' /proc/mounts"),
            "1 0");
}

TEST_F(SandboxTest, EtcFilesHostnameAndResolvConf) {
  std::string host_resolv = JoinPath(base_, "host-resolv.conf");
  ASSERT_TRUE(
      WriteFile(host_resolv,
                "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan\n")
          .ok());
  options_.host_resolv_conf = host_resolv;
  executor_ = *RuncExecutor::Create(options_);

  EXPECT_EQ(Check("cat /etc/hosts"),
            absl::StripSuffix(HostsFileContent(kDefaultHostname), "\n"));
  EXPECT_EQ(Check("hostname"), "buildkitsandbox");
  ProcessSpec host;
  host.network = NetworkMode::kHost;
  EXPECT_EQ(Check("cat /etc/resolv.conf", host),
            "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan");
  // Read-only binds; the rootfs's own copies stay as they were.
  EXPECT_NE(Sh("echo x >> /etc/hosts").code(), 0);
  EXPECT_NE(Sh("echo x >> /etc/resolv.conf").code(), 0);
  EXPECT_EQ(*ReadFile(JoinPath(rootfs_, "etc/resolv.conf")), "");
  // The image's /etc/hostname is not replaced in builds...
  EXPECT_EQ(Check("cat /etc/hostname"), "busybox");

  ProcessSpec spec;
  spec.hostname = "web1";
  spec.bind_etc_hostname = true;  // ...but is for `farm run`.
  EXPECT_EQ(Check("hostname; cat /etc/hostname; grep -c web1 /etc/hosts", spec),
            "web1\nweb1\n1");

  spec.network = NetworkMode::kNone;
  EXPECT_EQ(Check("cat /etc/resolv.conf", spec),
            "nameserver 10.1.2.3\nsearch lan");
}

TEST_F(SandboxTest, NetworkNoneHasOnlyLoopback) {
  ProcessSpec none;
  none.network = NetworkMode::kNone;
  EXPECT_EQ(Check("ls /sys/class/net", none), "lo");
  EXPECT_THAT(Check("cat /sys/class/net/lo/operstate", none),
              Not(HasSubstr("down")));

  // The host network shows the worker's interfaces.
  absl::StatusOr<std::vector<std::string>> host = ListDir("/sys/class/net");
  ASSERT_TRUE(host.ok());
  ProcessSpec host_network;
  host_network.network = NetworkMode::kHost;
  EXPECT_EQ(Check("ls /sys/class/net", host_network),
            absl::StrJoin(*host, "\n"));
}

TEST_F(SandboxTest, OpenFilesLimit) {
  std::string limit = Check("ulimit -n; ulimit -Hn");
  std::vector<std::string> values = absl::StrSplit(limit, '\n');
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], values[1]);
  uint64_t soft = 0;
  ASSERT_TRUE(absl::SimpleAtoi(values[0], &soft));
  // kOpenFilesLimit, or the worker's own hard limit when it cannot raise it.
  EXPECT_LE(soft, kOpenFilesLimit);
  EXPECT_GE(soft, 1024u);
}

}  // namespace
}  // namespace farm::executor
