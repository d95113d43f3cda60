// FetchUrl: downloads the file of an `ADD <url>` with libcurl, as BuildKit's
// HTTP source does: redirects are followed, --checksum is verified, the
// file is named after the last element of the URL path and gets mode 0600
// and, when the server sends Last-Modified, that time as its mtime. The
// scheduler uses it to fetch URLs into the CAS; the worker's file
// operations take the downloaded file and use its naming rules.
#ifndef FARM_IMAGE_FETCH_URL_FETCH_H_
#define FARM_IMAGE_FETCH_URL_FETCH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/digest.h"

namespace farm::image {

// An http:// or https:// source of ADD.
bool IsUrl(absl::string_view source);
// A git source of ADD (git@..., git://..., or a URL of a .git repository).
bool IsGitSource(absl::string_view source);

// The name BuildKit gives the downloaded file: the last element of the
// URL's (unescaped) path, or "__unnamed__" when there is none.
std::string UrlFileName(absl::string_view url);

struct FetchOptions {
  // "sha256:<hex>"; empty for none.
  std::string checksum;
  uint64_t max_bytes = uint64_t{16} << 30;
  absl::Duration timeout = absl::Minutes(30);
  long max_redirects = 10;
};

struct FetchedFile {
  std::string path;       // where it was written
  std::string file_name;  // UrlFileName(url)
  Digest digest;          // of the content
  uint64_t size = 0;
  // Last-Modified, seconds since the epoch, when the server sent it.
  std::optional<int64_t> last_modified;
};

// Downloads `url` to `dest_path` (created or truncated, mode 0600). On any
// error the file is removed. Errors name the URL:
//  - kInvalidArgument: not an http(s) URL, or a malformed or non-sha256
//    checksum;
//  - kNotFound for HTTP 404 and 410, kPermissionDenied for 401 and 403,
//    kUnavailable for 5xx and for connection failures, kFailedPrecondition
//    for other HTTP errors; the message carries the HTTP status;
//  - kDataLoss when the content does not match the checksum;
//  - kResourceExhausted past max_bytes.
// Thread-safe.
absl::StatusOr<FetchedFile> FetchUrl(const std::string& url,
                                     const std::string& dest_path,
                                     const FetchOptions& options = {});

}  // namespace farm::image

#endif  // FARM_IMAGE_FETCH_URL_FETCH_H_
