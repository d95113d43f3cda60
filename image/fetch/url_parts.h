// UrlParts: a URL's scheme and host as libcurl itself reads them, so that the
// fetch policy judges the very host curl connects to rather than a second
// parser's idea of it. Uses libcurl's URL API (curl_url), which the LibCurl
// table in image/curl does not bind, from the same libcurl.so.4.
#ifndef FARM_IMAGE_FETCH_URL_PARTS_H_
#define FARM_IMAGE_FETCH_URL_PARTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace farm::image {

struct UrlParts {
  std::string scheme;  // lower case: "http", "https", "file", ...
  // Without IPv6 brackets or zone id; empty when the URL has none
  // (file:///etc/passwd).
  std::string host;
};

// Parses any absolute URL, whatever its scheme. kInvalidArgument naming the
// URL when libcurl cannot parse it; kUnavailable when libcurl cannot be
// loaded. Thread-safe.
absl::StatusOr<UrlParts> ParseUrlParts(const std::string& url);

}  // namespace farm::image

#endif  // FARM_IMAGE_FETCH_URL_PARTS_H_
