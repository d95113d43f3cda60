// What a farm binary is and how it was built, for `farm version` (the
// client's own and, over the BuildService's Version call, the server's).
#ifndef FARM_COMMON_BUILD_INFO_H_
#define FARM_COMMON_BUILD_INFO_H_

#include <string>

namespace farm {

struct BuildInfo {
  std::string version;   // kFarmVersion
  std::string grpc;      // the gRPC library linked in
  std::string compiler;  // e.g. "gcc 12.2.0"
  std::string platform;  // GOOS/GOARCH style, as image platforms are named
};

BuildInfo ThisBuild();

}  // namespace farm

#endif  // FARM_COMMON_BUILD_INFO_H_
