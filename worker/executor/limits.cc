#include "worker/executor/limits.h"

#include <cmath>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace farm::executor {
namespace {

struct Unit {
  const char* names[3];
  uint64_t bytes;
};

constexpr Unit kUnits[] = {
    {{"b", "", ""}, 1},
    {{"k", "kb", "kib"}, uint64_t{1} << 10},
    {{"m", "mb", "mib"}, uint64_t{1} << 20},
    {{"g", "gb", "gib"}, uint64_t{1} << 30},
    {{"t", "tb", "tib"}, uint64_t{1} << 40},
};
constexpr const char* kUnitNames[] = {"B", "KiB", "MiB", "GiB", "TiB"};

absl::Status BadValue(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not ", what));
}

// Picks the smaller of two limits where 0 means none.
template <typename T>
T Lower(T worker, T build) {
  if (build <= T()) return worker;
  if (worker <= T()) return build;
  return std::min(worker, build);
}

}  // namespace

ResourceLimits DefaultRunLimits() {
  ResourceLimits limits;
  limits.memory_bytes = kDefaultRunMemory;
  limits.pids = kDefaultRunPids;
  limits.cpus = kDefaultRunCpus;
  limits.timeout = kDefaultRunTimeout;
  limits.disk_bytes = kDefaultRunDisk;
  return limits;
}

absl::StatusOr<uint64_t> ParseBytes(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  size_t split = 0;
  while (split < trimmed.size() &&
         (absl::ascii_isdigit(trimmed[split]) || trimmed[split] == '.')) {
    ++split;
  }
  const std::string number(trimmed.substr(0, split));
  const std::string suffix =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(trimmed.substr(split)));
  for (const Unit& unit : kUnits) {
    if (suffix != unit.names[0] && suffix != unit.names[1] &&
        suffix != unit.names[2]) {
      continue;
    }
    uint64_t whole = 0;
    if (absl::SimpleAtoi(number, &whole)) {
      if (whole > UINT64_MAX / unit.bytes) break;
      return whole * unit.bytes;
    }
    double value = 0;
    if (!absl::SimpleAtod(number, &value) || !(value >= 0) ||
        value * static_cast<double>(unit.bytes) >= 1.8e19) {
      break;
    }
    return static_cast<uint64_t>(
        std::llround(value * static_cast<double>(unit.bytes)));
  }
  return BadValue(text, "a size (e.g. 4GiB, 512MiB, 1073741824)");
}

std::string FormatBytes(uint64_t bytes) {
  size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && bytes >= kUnits[unit + 1].bytes) {
    ++unit;
  }
  const uint64_t size = kUnits[unit].bytes;
  if (bytes % size == 0) {
    return absl::StrCat(bytes / size, " ", kUnitNames[unit]);
  }
  return absl::StrFormat("%.1f %s",
                         static_cast<double>(bytes) / static_cast<double>(size),
                         kUnitNames[unit]);
}

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view text) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  int64_t seconds = 0;
  absl::Duration timeout;
  if (absl::SimpleAtoi(trimmed, &seconds)) {
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(trimmed, &timeout)) {
    return BadValue(text, "a duration (e.g. 90s, 2h, 1h30m)");
  }
  if (timeout < absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
    return BadValue(text, "a finite duration of zero or more");
  }
  return timeout;
}

std::string FormatTimeout(absl::Duration timeout) {
  return absl::FormatDuration(timeout);
}

absl::StatusOr<double> ParseCpus(absl::string_view text) {
  double cpus = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &cpus) ||
      !(cpus >= 0) || std::isinf(cpus)) {
    return BadValue(text, "a number of CPUs (e.g. 2, 1.5; 0 for all)");
  }
  return cpus;
}

ResourceLimits TightestLimits(const ResourceLimits& worker,
                              const ResourceLimits& build) {
  ResourceLimits out;
  out.memory_bytes = Lower(worker.memory_bytes, build.memory_bytes);
  out.pids = Lower(worker.pids, build.pids);
  out.cpus = Lower(worker.cpus, build.cpus);
  out.timeout = Lower(worker.timeout, build.timeout);
  out.disk_bytes = Lower(worker.disk_bytes, build.disk_bytes);
  return out;
}

std::string DescribeLimits(const ResourceLimits& limits) {
  auto or_none = [](bool set, std::string value) {
    return set ? value : std::string("none");
  };
  return absl::StrCat(
      "memory ",
      or_none(limits.memory_bytes > 0, FormatBytes(limits.memory_bytes)),
      ", pids ", or_none(limits.pids > 0, absl::StrCat(limits.pids)), ", cpus ",
      limits.cpus > 0 ? absl::StrCat(limits.cpus) : "all", ", time ",
      or_none(limits.timeout > absl::ZeroDuration(),
              FormatTimeout(limits.timeout)),
      ", disk ",
      or_none(limits.disk_bytes > 0, FormatBytes(limits.disk_bytes)));
}

std::string MemoryLimitReached(uint64_t bytes) {
  return absl::StrCat("memory limit ", FormatBytes(bytes), " reached");
}

std::string PidsLimitReached(int64_t pids) {
  return absl::StrCat("pids limit ", pids, " reached");
}

std::string TimeLimitReached(absl::Duration timeout) {
  return absl::StrCat("time limit ", FormatTimeout(timeout), " reached");
}

std::string DiskBudgetReached(uint64_t bytes) {
  return absl::StrCat("disk budget ", FormatBytes(bytes), " reached");
}

}  // namespace farm::executor
