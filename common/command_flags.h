// Helpers for the servers' command lines, which use Abseil flags: Abseil
// names flags with underscores and keeps only the last value of a repeated
// flag, while farm's flags are written with dashes and some repeat.
#ifndef FARM_COMMON_COMMAND_FLAGS_H_
#define FARM_COMMON_COMMAND_FLAGS_H_

#include <string>
#include <vector>

namespace farm {

// Rewrites "--max-bytes=1" as "--max_bytes=1" (names only, not values)
// for every argument that starts with "--", up to a bare "--".
void UnderscoreFlagNames(int argc, char** argv);

// Removes every "--NAME VALUE" and "--NAME=VALUE" from argv (adjusting
// *argc) and returns the values in order; "a,b" counts as two values.
std::vector<std::string> TakeRepeatedFlag(int* argc, char** argv,
                                          const std::string& name);

}  // namespace farm

#endif  // FARM_COMMON_COMMAND_FLAGS_H_
