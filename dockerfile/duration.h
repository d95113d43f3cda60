// Go duration strings ("1m30s", "500ms", "1.5h"), as HEALTHCHECK's --interval,
// --timeout, --start-period and --start-interval take them.
#ifndef FARM_DOCKERFILE_DURATION_H_
#define FARM_DOCKERFILE_DURATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// time.ParseDuration: a signed sequence of decimal numbers with units ns, us
// (or µs/μs), ms, s, m, h; "0" alone is allowed. Returns nanoseconds.
// kInvalidArgument with Go's messages (`time: invalid duration "x"`,
// `time: missing unit in duration "1"`, `time: unknown unit "d" in duration
// "1d"`), including for values beyond ±292 years.
absl::StatusOr<int64_t> ParseGoDuration(absl::string_view s);

// time.Duration.String: "1h2m3.5s", "1.5ms", "0s".
std::string FormatGoDuration(int64_t nanos);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_DURATION_H_
