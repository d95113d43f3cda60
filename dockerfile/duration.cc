#include "dockerfile/duration.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

absl::Status Invalid(absl::string_view original) {
  return absl::InvalidArgumentError(
      absl::StrCat("time: invalid duration ", GoQuote(original)));
}

// Unit multipliers in nanoseconds; 0 when the unit is unknown.
uint64_t UnitNanos(absl::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return 1000 * 1000 * 1000;
  if (unit == "m") return 60ull * 1000 * 1000 * 1000;
  if (unit == "h") return 3600ull * 1000 * 1000 * 1000;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<int64_t> ParseGoDuration(absl::string_view original) {
  absl::string_view s = original;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return Invalid(original);
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return Invalid(original);
    // Integer part.
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && IsDigit(s[i])) {
      if (whole > (kMax - 1) / 10) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kMax) overflow = true;
      ++i;
    }
    if (overflow) return Invalid(original);
    bool had_whole = i > 0;
    // Fraction.
    uint64_t fraction = 0;
    double scale = 1;
    bool had_fraction = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t start = i;
      bool drop = false;
      while (i < s.size() && IsDigit(s[i])) {
        if (!drop) {
          if (fraction > (kMax - 1) / 10) {
            drop = true;  // Further digits cannot change the result.
          } else {
            fraction = fraction * 10 + static_cast<uint64_t>(s[i] - '0');
            scale *= 10;
          }
        }
        ++i;
      }
      had_fraction = i > start;
    }
    if (!had_whole && !had_fraction) return Invalid(original);
    // Unit.
    size_t unit_start = i;
    while (i < s.size() && s[i] != '.' && !IsDigit(s[i])) ++i;
    absl::string_view unit = s.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration ", GoQuote(original)));
    }
    uint64_t multiplier = UnitNanos(unit);
    if (multiplier == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: unknown unit ", GoQuote(unit), " in duration ",
                       GoQuote(original)));
    }
    if (whole > kMax / multiplier) return Invalid(original);
    uint64_t value = whole * multiplier;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(multiplier) / scale));
      if (value > kMax) return Invalid(original);
    }
    total += value;
    if (total > kMax) return Invalid(original);
    s.remove_prefix(i);
  }
  if (negative) return static_cast<int64_t>(0 - total);
  if (total > kMax - 1) return Invalid(original);
  return static_cast<int64_t>(total);
}

std::string FormatGoDuration(int64_t d) {
  if (d == 0) return "0s";
  bool negative = d < 0;
  uint64_t u =
      negative ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  // Formats v / 10^prec with trailing zeros of the fraction dropped.
  auto fraction = [](uint64_t v, int prec, std::string* digits) {
    std::string frac;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      int digit = static_cast<int>(v % 10);
      print = print || digit != 0;
      if (print) frac.insert(frac.begin(), static_cast<char>('0' + digit));
      v /= 10;
    }
    if (print) frac.insert(frac.begin(), '.');
    *digits = frac;
    return v;
  };
  std::string out;
  if (u < 1000ull * 1000 * 1000) {
    // Sub-second: ns, µs or ms with a fraction.
    std::string frac;
    uint64_t whole;
    const char* unit;
    if (u < 1000) {
      whole = u;
      unit = "ns";
    } else if (u < 1000 * 1000) {
      whole = fraction(u, 3, &frac);
      unit = "\xC2\xB5s";
    } else {
      whole = fraction(u, 6, &frac);
      unit = "ms";
    }
    out = absl::StrCat(whole, frac, unit);
  } else {
    std::string frac;
    uint64_t seconds = fraction(u, 9, &frac);
    out = absl::StrCat(seconds % 60, frac, "s");
    uint64_t minutes = seconds / 60;
    if (minutes > 0) {
      out = absl::StrCat(minutes % 60, "m", out);
      uint64_t hours = minutes / 60;
      if (hours > 0) out = absl::StrCat(hours, "h", out);
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace farm::dockerfile
