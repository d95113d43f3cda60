#include "image/registry/platform.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace farm::image::registry {

oci::Platform DefaultPlatform() {
  oci::Platform p;
  p.os = "linux";
  p.architecture = "amd64";
  return p;
}

oci::Platform NormalizePlatform(const oci::Platform& in) {
  oci::Platform p = in;
  p.os = absl::AsciiStrToLower(p.os);
  p.architecture = absl::AsciiStrToLower(p.architecture);
  p.variant = absl::AsciiStrToLower(p.variant);
  if (p.os == "macos") p.os = "darwin";
  const std::string& a = p.architecture;
  if (a == "x86_64" || a == "x86-64") {
    p.architecture = "amd64";
  } else if (a == "aarch64") {
    p.architecture = "arm64";
  } else if (a == "armhf") {
    p.architecture = "arm";
    p.variant = "v7";
  } else if (a == "armel") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (a == "i386" || a == "i686") {
    p.architecture = "386";
  }
  if (p.architecture == "arm64" && (p.variant == "v8" || p.variant == "8")) {
    p.variant.clear();
  } else if (p.architecture == "amd64" && p.variant == "v1") {
    p.variant.clear();
  } else if (p.architecture == "arm") {
    if (p.variant.empty()) p.variant = "v7";
    if (p.variant.size() == 1 && absl::ascii_isdigit(p.variant[0])) {
      p.variant = absl::StrCat("v", p.variant);
    }
  }
  return p;
}

absl::StatusOr<oci::Platform> ParsePlatform(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid platform \"", text,
                     "\": want os/arch or os/arch/variant, e.g. linux/amd64"));
  }
  for (const std::string& part : parts) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid platform \"", text, "\": empty part"));
    }
  }
  oci::Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return NormalizePlatform(p);
}

std::string PlatformString(const oci::Platform& p) {
  std::string s = absl::StrCat(p.os, "/", p.architecture);
  if (!p.variant.empty()) absl::StrAppend(&s, "/", p.variant);
  return s;
}

bool PlatformMatches(const oci::Platform& want, const oci::Platform& have) {
  oci::Platform w = NormalizePlatform(want);
  oci::Platform h = NormalizePlatform(have);
  if (w.os != h.os || w.architecture != h.architecture) return false;
  return want.variant.empty() || w.variant == h.variant;
}

absl::StatusOr<oci::Descriptor> SelectManifest(const oci::Index& index,
                                               const oci::Platform& want) {
  oci::Platform w = NormalizePlatform(want);
  const oci::Descriptor* compatible = nullptr;
  std::vector<std::string> offered;
  for (const oci::Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    offered.push_back(PlatformString(*d.platform));
    if (!PlatformMatches(want, *d.platform)) continue;
    if (NormalizePlatform(*d.platform).variant == w.variant) return d;
    if (compatible == nullptr) compatible = &d;
  }
  if (compatible != nullptr) return *compatible;
  return absl::NotFoundError(absl::StrCat(
      "no manifest for platform ", PlatformString(w), " (the image offers ",
      offered.empty() ? "no platforms" : absl::StrJoin(offered, ", "),
      "); choose one of those with --platform"));
}

}  // namespace farm::image::registry
