"""Runs a command of an unpacked image with runc, the way the Helm chart's
pods run farm: in the host's network namespace (as a pod's containers share
the pod's, so 127.0.0.1 reaches them), either unprivileged with a read-only
root (the scheduler and farm-cache: no capabilities, no new privileges) or
privileged (a worker, which runs runc itself: every capability, no seccomp
or masked paths, the host's cgroup hierarchies and /dev/net/tun for
slirp4netns)."""

import json
import os
import subprocess

# Capabilities by number, for a privileged container.
_CAPABILITIES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
    "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]

# What runc's default spec hides from an unprivileged container.
_MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
           "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
           "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
_READ_ONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
              "/proc/sysrq-trigger"]


def _capabilities(privileged):
    """Privileged: every capability this process may pass on (its bounding
    set; a CI sandbox may lack some), as Kubernetes' `privileged: true`
    gives every capability the runtime has."""
    if not privileged:
        return []
    with open("/proc/self/status") as f:
        bounding = next(int(line.split()[1], 16) for line in f
                        if line.startswith("CapBnd:"))
    return ["CAP_" + name for bit, name in enumerate(_CAPABILITIES)
            if bounding >> bit & 1]


def _mounts(privileged, binds):
    sys_options = ["nosuid", "noexec", "nodev"] + ([] if privileged else ["ro"])
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                     "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777",
                     "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": sys_options},
        # The chart's emptyDir at /tmp (the root is read-only).
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777"]},
    ]
    if privileged:
        mounts += [
            # The worker makes a cgroup for each RUN step.
            {"destination": "/sys/fs/cgroup", "type": "bind",
             "source": "/sys/fs/cgroup", "options": ["rbind", "rw"]},
            # slirp4netns opens it for a RUN step's private network.
            {"destination": "/dev/net/tun", "type": "bind",
             "source": "/dev/net/tun", "options": ["bind", "rw"]},
        ]
    for destination, source in binds.items():
        mounts.append({"destination": destination, "type": "bind",
                       "source": source, "options": ["rbind", "rw"]})
    return mounts


def spec(rootfs, args, *, privileged=False, uid=0, gid=0, binds=None,
         env=(), cgroup=None):
    """The runtime spec (config.json) for `args` on `rootfs`; `binds` maps
    container paths to host directories (the chart's volumes)."""
    capabilities = _capabilities(privileged)
    linux = {
        # No network namespace: the host's, as a pod's.
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount")],
        "resources": {"devices": [{"allow": privileged, "access": "rwm"}]},
    }
    if cgroup:
        linux["cgroupsPath"] = cgroup  # relative: under runc's own cgroup
    if not privileged:
        linux["maskedPaths"] = _MASKED
        linux["readonlyPaths"] = _READ_ONLY
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": uid, "gid": gid},
            "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                    "/usr/bin:/sbin:/bin", "HOME=/tmp", *env],
            "cwd": "/",
            "capabilities": {k: capabilities for k in
                             ("bounding", "effective", "permitted")},
            "noNewPrivileges": not privileged,
        },
        "root": {"path": os.path.abspath(rootfs), "readonly": not privileged},
        "hostname": "farm-image-test",
        "mounts": _mounts(privileged, binds or {}),
        "linux": linux,
    }


class Container:
    """`runc run` of a bundle in the foreground (runc passes this process's
    pipes to the container's process), with its own runc state directory."""

    def __init__(self, state, bundle, name, config, stdout, stderr):
        os.makedirs(bundle, exist_ok=True)
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        self.state, self.name = state, name
        self.proc = subprocess.Popen(
            ["runc", "--root", state, "run", "--bundle", bundle, name],
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)

    def runc(self, *args):
        return subprocess.run(["runc", "--root", self.state, *args],
                              capture_output=True, text=True)

    def stop(self, timeout=30):
        """SIGTERM (a worker drains), SIGKILL after `timeout`, then deletes
        the container; returns the exit status of `runc run`."""
        if self.proc.poll() is None:
            self.runc("kill", self.name, "TERM")
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.runc("kill", "--all", self.name, "KILL")
                self.proc.wait(timeout=30)
        self.runc("delete", "--force", self.name)
        return self.proc.returncode
