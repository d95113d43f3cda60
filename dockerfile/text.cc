#include "dockerfile/text.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace farm::dockerfile {

bool IsGoSpace(uint32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

bool IsGoSpaceByte(unsigned char b) { return IsGoSpace(b); }

uint32_t DecodeRune(absl::string_view s, int* width) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  *width = 1;
  if (p[0] < 0x80) return p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (p[0] >= 0xC2 && p[0] <= 0xDF && cont(1)) {
    *width = 2;
    return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (p[0] >= 0xE0 && p[0] <= 0xEF && cont(1) && cont(2)) {
    uint32_t r =
        ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *width = 3;
      return r;
    }
    return 0xFFFD;
  }
  if (p[0] >= 0xF0 && p[0] <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
                 ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *width = 4;
      return r;
    }
  }
  return 0xFFFD;
}

void AppendRune(uint32_t r, std::string* out) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

absl::string_view TrimLeftGoSpace(absl::string_view s) {
  while (!s.empty()) {
    int width;
    uint32_t r = DecodeRune(s, &width);
    // An invalid byte decodes as U+FFFD, which is not a space.
    if (!IsGoSpace(r)) break;
    s.remove_prefix(width);
  }
  return s;
}

absl::string_view TrimGoSpace(absl::string_view s) {
  s = TrimLeftGoSpace(s);
  // Walk back over trailing spaces; every space is 1-3 bytes of valid UTF-8.
  while (!s.empty()) {
    bool trimmed = false;
    for (int w = 1; w <= 3 && w <= static_cast<int>(s.size()); ++w) {
      absl::string_view tail = s.substr(s.size() - w);
      int width;
      uint32_t r = DecodeRune(tail, &width);
      if (width == w && IsGoSpace(r) && (w == 1 || r >= 0x80)) {
        s.remove_suffix(w);
        trimmed = true;
        break;
      }
    }
    if (!trimmed) break;
  }
  return s;
}

bool IsSplitSpace(char c) {
  return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

std::vector<std::string> SplitOnSpaceRuns(absl::string_view s, int limit) {
  std::vector<std::string> parts;
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (limit > 0 && static_cast<int>(parts.size()) == limit - 1) break;
    if (IsSplitSpace(s[i])) {
      size_t j = i;
      while (j < s.size() && IsSplitSpace(s[j])) ++j;
      parts.emplace_back(s.substr(start, i - start));
      start = j;
      i = j;
    } else {
      ++i;
    }
  }
  parts.emplace_back(s.substr(start));
  return parts;
}

std::optional<bool> ParseGoBool(absl::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" ||
      s == "True") {
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" ||
      s == "False") {
    return false;
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseGoUint(absl::string_view s, int base, int bits) {
  if (s.empty()) return std::nullopt;
  uint64_t max = bits >= 64 ? std::numeric_limits<uint64_t>::max()
                            : (uint64_t{1} << bits) - 1;
  uint64_t value = 0;
  bool digit_before = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    // Go accepts underscores only with a base prefix, which we never pass.
    if (c < '0' || c >= '0' + base || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (value > (max - d) / base) return std::nullopt;
    value = value * base + d;
    digit_before = true;
  }
  if (!digit_before) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseGoInt(absl::string_view s, int bits) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::optional<uint64_t> magnitude = ParseGoUint(s, 10, 64);
  if (!magnitude) return std::nullopt;
  uint64_t limit = uint64_t{1} << (bits - 1);
  if (negative) {
    if (*magnitude > limit) return std::nullopt;
    return static_cast<int64_t>(0 - *magnitude);
  }
  if (*magnitude >= limit) return std::nullopt;
  return static_cast<int64_t>(*magnitude);
}

namespace {

// Double-quotes `s`. Bytes that are not valid UTF-8 become \xNN; other
// control characters become \xNN (Go style) or \uNNNN (JSON style).
std::string Quote(absl::string_view s, bool json_style) {
  std::string out = "\"";
  while (!s.empty()) {
    int width;
    uint32_t r = DecodeRune(s, &width);
    unsigned char b = static_cast<unsigned char>(s[0]);
    const char* escape = nullptr;
    switch (r) {
      case '"':
        escape = "\\\"";
        break;
      case '\\':
        escape = "\\\\";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\t':
        escape = "\\t";
        break;
      case '\r':
        escape = "\\r";
        break;
      case '\b':
        escape = json_style ? "\\b" : nullptr;
        break;
      case '\f':
        escape = json_style ? "\\f" : nullptr;
        break;
      default:
        break;
    }
    if (r == 0xFFFD && width == 1 && b >= 0x80) {
      out += absl::StrFormat("\\x%02x", b);
    } else if (escape != nullptr) {
      out += escape;
    } else if (r < 0x20 || r == 0x7F) {
      out += json_style ? absl::StrFormat("\\u%04x", r)
                        : absl::StrFormat("\\x%02x", r);
    } else {
      out.append(s.data(), width);
    }
    s.remove_prefix(width);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string GoQuote(absl::string_view s) { return Quote(s, false); }

std::string QuoteString(absl::string_view s) { return Quote(s, true); }

std::string ToLowerAscii(absl::string_view s) {
  return absl::AsciiStrToLower(s);
}
std::string ToUpperAscii(absl::string_view s) {
  return absl::AsciiStrToUpper(s);
}

}  // namespace farm::dockerfile
