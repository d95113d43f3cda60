// The version of farm's binaries, which `farm version` reports for the
// client and the farm it talks to; the Helm chart's appVersion and the
// image's tag (scripts/image.sh) follow it.
#ifndef FARM_COMMON_VERSION_H_
#define FARM_COMMON_VERSION_H_

namespace farm {

inline constexpr char kFarmVersion[] = "0.2.0";

}  // namespace farm

#endif  // FARM_COMMON_VERSION_H_
