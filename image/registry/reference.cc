#include "image/registry/reference.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace farm::image::registry {
namespace {

constexpr absl::string_view kLegacyDockerHubDomain = "index.docker.io";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// One path component: lowercase alphanumeric runs joined by ".", "_", "__"
// or any number of "-".
bool ValidPathComponent(absl::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) {
    return false;
  }
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < c.size() && !IsLowerAlnum(c[i])) ++i;
    absl::string_view sep = c.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == absl::string_view::npos;
    if (!dashes && sep != "." && sep != "_" && sep != "__") return false;
  }
  return true;
}

// A hostname label: alphanumerics with inner dashes.
bool ValidDomainLabel(absl::string_view label) {
  if (label.empty() || !absl::ascii_isalnum(label.front()) ||
      !absl::ascii_isalnum(label.back())) {
    return false;
  }
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

// host[:port], where host is dotted labels or a bracketed IPv6 address.
bool ValidDomain(absl::string_view domain) {
  absl::string_view host = domain;
  absl::string_view port;
  if (absl::StartsWith(domain, "[")) {
    size_t close = domain.find(']');
    if (close == absl::string_view::npos || close == 1) return false;
    for (char c : domain.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':') return false;
    }
    absl::string_view rest = domain.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
    host = "";
  } else if (size_t colon = domain.find(':');
             colon != absl::string_view::npos) {
    host = domain.substr(0, colon);
    port = domain.substr(colon + 1);
    if (port.empty()) return false;
  }
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  if (!host.empty()) {
    for (absl::string_view label : absl::StrSplit(host, '.')) {
      if (!ValidDomainLabel(label)) return false;
    }
  }
  return true;
}

bool ValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !IsWordChar(tag[0])) {
    return false;
  }
  for (char c : tag) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view text, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid reference \"", text, "\": ", problem));
}

// Splits "name" into domain and path as Docker's splitDockerDomain does.
void SplitDomain(absl::string_view name, std::string* domain,
                 std::string* path) {
  size_t slash = name.find('/');
  absl::string_view first =
      slash == absl::string_view::npos ? name : name.substr(0, slash);
  bool is_domain =
      slash != absl::string_view::npos &&
      (first.find_first_of(".:") != absl::string_view::npos ||
       first == "localhost" || absl::AsciiStrToLower(first) != first);
  if (!is_domain) {
    *domain = std::string(kDockerHubDomain);
    *path = std::string(name);
  } else {
    *domain = std::string(first);
    *path = std::string(name.substr(slash + 1));
  }
  if (*domain == kLegacyDockerHubDomain)
    *domain = std::string(kDockerHubDomain);
  if (*domain == kDockerHubDomain && path->find('/') == std::string::npos) {
    *path = absl::StrCat("library/", *path);
  }
}

}  // namespace

absl::StatusOr<Reference> Reference::ParseAny(absl::string_view text,
                                              bool repository_only) {
  Reference r;
  std::string* domain = &r.domain_;
  std::string* path = &r.path_;
  std::string* tag = &r.tag_;
  std::optional<Digest>* digest = &r.digest_;
  if (text.empty()) return Invalid(text, "the name is empty");
  if (IsHex64(text)) {
    return Invalid(text,
                   "a 64-character hexadecimal string cannot be a repository "
                   "name (use name@sha256:<hex> to pin a digest)");
  }
  absl::string_view rest = text;
  if (size_t at = rest.find('@'); at != absl::string_view::npos) {
    if (repository_only) return Invalid(text, "a repository takes no digest");
    absl::string_view d = rest.substr(at + 1);
    if (!absl::StartsWith(d, "sha256:")) {
      return Invalid(text, "only sha256 digests are supported");
    }
    absl::StatusOr<Digest> parsed = Digest::Parse(d);
    if (!parsed.ok()) {
      return Invalid(text, "the digest must be sha256: and 64 lowercase hex");
    }
    *digest = *parsed;
    rest = rest.substr(0, at);
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    if (repository_only) return Invalid(text, "a repository takes no tag");
    *tag = std::string(rest.substr(colon + 1));
    if (!ValidTag(*tag)) {
      return Invalid(text,
                     "a tag is up to 128 letters, digits, '_', '.' and '-', "
                     "not starting with '.' or '-'");
    }
    rest = rest.substr(0, colon);
  }
  SplitDomain(rest, domain, path);
  if (absl::AsciiStrToLower(*path) != *path) {
    return Invalid(text, "repository name must be lowercase");
  }
  if (!ValidDomain(*domain)) {
    return Invalid(text, absl::StrCat("\"", *domain, "\" is not a valid host"));
  }
  for (absl::string_view c : absl::StrSplit(*path, '/')) {
    if (!ValidPathComponent(c)) {
      return Invalid(text,
                     absl::StrCat("path component \"", c,
                                  "\" must be lowercase letters and digits, "
                                  "joined by '.', '_', '__' or dashes"));
    }
  }
  if (domain->size() + 1 + path->size() > kMaxNameLength) {
    return Invalid(text, "the name is longer than 255 characters");
  }
  if (!repository_only && tag->empty() && !digest->has_value()) {
    *tag = "latest";
  }
  return r;
}

std::string RegistryHostFor(absl::string_view domain) {
  if (domain == kDockerHubDomain) return std::string(kDockerHubRegistryHost);
  return std::string(domain);
}

absl::StatusOr<Reference> Reference::Parse(absl::string_view text) {
  return ParseAny(text, /*repository_only=*/false);
}

absl::StatusOr<Reference> Reference::ParseRepository(absl::string_view text) {
  return ParseAny(text, /*repository_only=*/true);
}

std::string Reference::Name() const {
  return absl::StrCat(domain_, "/", path_);
}

std::string Reference::String() const {
  std::string s = Name();
  if (!tag_.empty()) absl::StrAppend(&s, ":", tag_);
  if (digest_) absl::StrAppend(&s, "@", digest_->ToString());
  return s;
}

std::string Reference::Familiar() const {
  std::string s;
  if (domain_ == kDockerHubDomain) {
    absl::string_view p = path_;
    if (absl::ConsumePrefix(&p, "library/") &&
        p.find('/') == absl::string_view::npos) {
      s = std::string(p);
    } else {
      s = path_;
    }
  } else {
    s = Name();
  }
  if (!tag_.empty()) absl::StrAppend(&s, ":", tag_);
  if (digest_) absl::StrAppend(&s, "@", digest_->ToString());
  return s;
}

std::string Reference::RegistryHost() const { return RegistryHostFor(domain_); }

std::string Reference::ManifestId() const {
  return digest_ ? digest_->ToString() : tag_;
}

Reference Reference::WithTag(std::string tag) const {
  Reference r = *this;
  r.tag_ = std::move(tag);
  return r;
}

Reference Reference::WithDigest(const Digest& digest) const {
  Reference r = *this;
  r.digest_ = digest;
  return r;
}

Reference Reference::Repository() const {
  Reference r = *this;
  r.tag_.clear();
  r.digest_.reset();
  return r;
}

}  // namespace farm::image::registry
