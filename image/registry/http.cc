#include "image/registry/http.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace farm::image::registry {

void HttpHeaders::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Set(const std::string& name, std::string value) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& f : fields_) {
    if (!absl::EqualsIgnoreCase(f.first, name)) kept.push_back(std::move(f));
  }
  fields_ = std::move(kept);
  Add(name, std::move(value));
}

std::string HttpHeaders::Get(absl::string_view name) const {
  for (const auto& f : fields_) {
    if (absl::EqualsIgnoreCase(f.first, name)) return f.second;
  }
  return "";
}

std::vector<std::string> HttpHeaders::GetAll(absl::string_view name) const {
  std::vector<std::string> out;
  for (const auto& f : fields_) {
    if (absl::EqualsIgnoreCase(f.first, name)) out.push_back(f.second);
  }
  return out;
}

bool HttpHeaders::Has(absl::string_view name) const {
  for (const auto& f : fields_) {
    if (absl::EqualsIgnoreCase(f.first, name)) return true;
  }
  return false;
}

std::string MediaTypeOf(absl::string_view content_type) {
  absl::string_view t = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t));
}

std::string ResolveUrl(absl::string_view base, absl::string_view location) {
  if (absl::StartsWithIgnoreCase(location, "http://") ||
      absl::StartsWithIgnoreCase(location, "https://")) {
    return std::string(location);
  }
  size_t scheme_end = base.find("://");
  size_t origin_end = scheme_end == absl::string_view::npos
                          ? absl::string_view::npos
                          : base.find('/', scheme_end + 3);
  absl::string_view origin = base.substr(0, origin_end);
  if (absl::StartsWith(location, "/")) return absl::StrCat(origin, location);
  return absl::StrCat(origin, "/", location);
}

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AddQueryParam(absl::string_view url, absl::string_view name,
                          absl::string_view value) {
  char sep = url.find('?') == absl::string_view::npos ? '?' : '&';
  return absl::StrCat(url, std::string(1, sep), name, "=", UrlEncode(value));
}

}  // namespace farm::image::registry
