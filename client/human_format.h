// How `docker images` and friends print sizes, ages and tables, so farm's
// listings read the same: decimal sizes with three significant digits
// ("4.26MB"), ages like "2 hours ago", and columns padded by three spaces.
#ifndef FARM_CLIENT_HUMAN_FORMAT_H_
#define FARM_CLIENT_HUMAN_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace farm::client {

// `precision` significant digits: `docker images` shows 3, BuildKit's
// progress 4. Bytes below 1kB print whole.
std::string HumanSize(int64_t bytes, int precision = 3);
// "Less than a second", "About a minute", "3 days", ...
std::string HumanDuration(absl::Duration d);

// Left-aligned columns separated by at least three spaces; the last column
// is not padded.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace farm::client

#endif  // FARM_CLIENT_HUMAN_FORMAT_H_
