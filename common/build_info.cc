#include "common/build_info.h"

#include <grpcpp/grpcpp.h>

#include "common/version.h"

namespace farm {

namespace {

constexpr char kCompiler[] =
#if defined(__clang__)
    "clang " __clang_version__;
#elif defined(__GNUC__)
    "gcc " __VERSION__;
#else
    "unknown";
#endif

constexpr char kArch[] =
#if defined(__x86_64__)
    "amd64";
#elif defined(__aarch64__)
    "arm64";
#elif defined(__arm__)
    "arm";
#elif defined(__riscv) && __riscv_xlen == 64
    "riscv64";
#elif defined(__s390x__)
    "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "ppc64le";
#else
    "unknown";
#endif

}  // namespace

BuildInfo ThisBuild() {
  BuildInfo info;
  info.version = kFarmVersion;
  info.grpc = grpc::Version();
  info.compiler = kCompiler;
  info.platform = std::string("linux/") + kArch;
  return info;
}

}  // namespace farm
