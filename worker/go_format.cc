#include "worker/go_format.h"

#include <cinttypes>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace farm::worker {
namespace {

constexpr uint32_t kMaxRune = 0x10FFFF;
constexpr uint32_t kReplacement = 0xFFFD;

// Decodes one UTF-8 sequence at the start of `s` as Go's utf8.DecodeRune
// does. Returns the rune and its width; an invalid sequence gives
// (kReplacement, 1) so the caller can tell it from a real U+FFFD.
std::pair<uint32_t, size_t> DecodeRune(absl::string_view s, bool* valid) {
  *valid = true;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  size_t width = 0;
  uint32_t rune = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    width = 2, rune = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    width = 3, rune = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    width = 4, rune = b0 & 0x07, min = 0x10000;
  }
  bool ok = width > 0 && s.size() >= width;
  for (size_t i = 1; ok && i < width; ++i) {
    if ((byte(i) & 0xC0) != 0x80) ok = false;
    rune = rune << 6 | (byte(i) & 0x3F);
  }
  if (!ok || rune < min || rune > kMaxRune ||
      (rune >= 0xD800 && rune <= 0xDFFF)) {
    *valid = false;
    return {kReplacement, 1};
  }
  return {rune, width};
}

void AppendUtf8(uint32_t rune, std::string* out) {
  if (rune < 0x80) {
    out->push_back(static_cast<char>(rune));
  } else if (rune < 0x800) {
    out->push_back(static_cast<char>(0xC0 | rune >> 6));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  } else if (rune < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | rune >> 12));
    out->push_back(static_cast<char>(0x80 | (rune >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | rune >> 18));
    out->push_back(static_cast<char>(0x80 | (rune >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (rune >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  }
}

// unicode.IsPrint for the code points that matter in practice: ASCII
// controls, the C1 block, the non-ASCII spaces and the invisible format
// characters are not printable; everything else is taken as printable.
bool IsPrint(uint32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r <= 0xA0 || r == 0xAD) return false;
  if (r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
      (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x2064) ||
      r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB)) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
  return true;
}

// The escape of one rune inside a quoted literal whose delimiter is
// `quote`.
void AppendEscaped(uint32_t r, char quote, std::string* out) {
  if (r == static_cast<uint32_t>(quote) || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrint(r)) {
    AppendUtf8(r, out);
    return;
  }
  switch (r) {
    case '\a':
      *out += "\\a";
      return;
    case '\b':
      *out += "\\b";
      return;
    case '\f':
      *out += "\\f";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '\t':
      *out += "\\t";
      return;
    case '\v':
      *out += "\\v";
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    absl::StrAppend(out, "\\x", absl::Hex(r, absl::kZeroPad2));
  } else if (r < 0x10000) {
    absl::StrAppend(out, "\\u", absl::Hex(r, absl::kZeroPad4));
  } else {
    absl::StrAppend(out, "\\U", absl::Hex(r, absl::kZeroPad8));
  }
}

// The digits of `value` / 10^precision after the decimal point, trailing
// zeros dropped, with the point; "" when the fraction is zero.
std::string Fraction(uint64_t value, int precision) {
  uint64_t scale = 1;
  for (int i = 0; i < precision; ++i) scale *= 10;
  uint64_t frac = value % scale;
  if (frac == 0) return "";
  std::string digits = absl::StrFormat("%0*d", precision, frac);
  digits.erase(digits.find_last_not_of('0') + 1);
  return absl::StrCat(".", digits);
}

}  // namespace

std::string GoQuote(absl::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    bool valid = true;
    auto [rune, width] = DecodeRune(text, &valid);
    if (!valid) {
      absl::StrAppend(
          &out, "\\x",
          absl::Hex(static_cast<uint8_t>(text[0]), absl::kZeroPad2));
    } else {
      AppendEscaped(rune, '"', &out);
    }
    text.remove_prefix(width);
  }
  out.push_back('"');
  return out;
}

std::string GoQuoteRune(int64_t value) {
  uint32_t rune = kReplacement;
  if (value >= 0 && value <= kMaxRune &&
      !(value >= 0xD800 && value <= 0xDFFF)) {
    rune = static_cast<uint32_t>(value);
  }
  std::string out = "'";
  AppendEscaped(rune, '\'', &out);
  out.push_back('\'');
  return out;
}

std::string GoDuration(int64_t nanos) {
  if (nanos == 0) return "0s";
  const bool negative = nanos < 0;
  // Negating in unsigned arithmetic is safe for INT64_MIN too.
  uint64_t u = negative ? ~static_cast<uint64_t>(nanos) + 1
                        : static_cast<uint64_t>(nanos);
  std::string out;
  if (u < 1000) {
    out = absl::StrCat(u, "ns");
  } else if (u < 1000 * 1000) {
    out = absl::StrCat(u / 1000, Fraction(u, 3), "\xC2\xB5s");
  } else if (u < 1000 * 1000 * 1000) {
    out = absl::StrCat(u / (1000 * 1000), Fraction(u, 6), "ms");
  } else {
    uint64_t seconds = u / 1000000000;
    std::string tail = absl::StrCat(seconds % 60, Fraction(u, 9), "s");
    uint64_t minutes = seconds / 60;
    uint64_t hours = minutes / 60;
    if (hours > 0) {
      out = absl::StrCat(hours, "h", minutes % 60, "m", tail);
    } else if (minutes > 0) {
      out = absl::StrCat(minutes, "m", tail);
    } else {
      out = tail;
    }
  }
  return negative ? "-" + out : out;
}

std::string GoQuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += GoQuote(items[i]);
  }
  out.push_back(']');
  return out;
}

std::string GoList(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, " "), "]");
}

}  // namespace farm::worker
