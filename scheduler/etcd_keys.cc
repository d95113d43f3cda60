#include "scheduler/etcd_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace farm::scheduler {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool Plain(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '~' ||
         c == ':' || c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case too: one spelling per byte
}

}  // namespace

std::string EscapeKeyPart(absl::string_view part) {
  std::string out;
  out.reserve(part.size());
  for (char c : part) {
    if (Plain(c)) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

absl::StatusOr<std::string> UnescapeKeyPart(absl::string_view escaped) {
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (Plain(c)) {
      out.push_back(c);
      continue;
    }
    const bool whole = c == '%' && i + 2 < escaped.size();
    const int high = whole ? HexValue(escaped[i + 1]) : -1;
    const int low = high < 0 ? -1 : HexValue(escaped[i + 2]);
    const char decoded = static_cast<char>(high * 16 + low);
    if (low < 0 || Plain(decoded)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", escaped, "\" is not an escaped key part"));
    }
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

}  // namespace farm::scheduler
