// FetchUrl: downloads the file of an `ADD <url>` with libcurl, as BuildKit's
// HTTP source does: redirects are followed, --checksum is verified, the
// file is named after the last element of the URL path and gets mode 0600
// and, when the server sends Last-Modified, that time as its mtime. Unlike
// BuildKit it connects only where a FetchPolicy allows (by default, public
// addresses), so an ADD cannot reach the farm's own or private services.
// The scheduler uses it to fetch URLs into the CAS; the worker's file
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
#include "image/fetch/fetch_policy.h"

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
  // For the whole fetch, redirects included.
  absl::Duration timeout = absl::Minutes(30);
  // Redirects followed at most; negative follows none.
  long max_redirects = 10;
  // Where connections may go; not owned, must outlive the call. nullptr is
  // the default policy, FetchPolicy(): public addresses only, no host
  // allowed by name. It is never "allow all".
  const FetchPolicy* policy = nullptr;
};

struct FetchedFile {
  std::string path;       // where it was written
  std::string file_name;  // UrlFileName(url)
  Digest digest;          // of the content
  uint64_t size = 0;
  // Last-Modified, seconds since the epoch, when the server sent it.
  std::optional<int64_t> last_modified;
};

// Downloads `url` to `dest_path` (created or truncated, mode 0600). Redirects
// are followed by FetchUrl itself, to http(s) URLs only. Every connection,
// to the URL asked for or a redirect, on every DNS answer, is checked with
// `options.policy` against the host of that hop's URL and the address
// actually connected to. Proxy environment variables (http_proxy, ...) are
// ignored, so that the check sees the real peer. On any error the file is
// removed. Errors name the URL:
//  - kInvalidArgument: not an http(s) URL, or a malformed or non-sha256
//    checksum;
//  - kPermissionDenied when the policy refuses a connection (the message of
//    FetchPolicy::CheckConnection: the hop's URL, the address and its kind,
//    how to allow it) or a redirect leads to a URL that is not http(s);
//  - kNotFound for HTTP 404 and 410, kPermissionDenied for 401 and 403,
//    kUnavailable for 5xx, for connection failures, time-outs, more than
//    max_redirects redirects and a libcurl that cannot be loaded,
//    kFailedPrecondition for other HTTP errors; the message carries the
//    HTTP status;
//  - kDataLoss when the content does not match the checksum;
//  - kResourceExhausted past max_bytes.
// Thread-safe.
absl::StatusOr<FetchedFile> FetchUrl(const std::string& url,
                                     const std::string& dest_path,
                                     const FetchOptions& options = {});

}  // namespace farm::image

#endif  // FARM_IMAGE_FETCH_URL_FETCH_H_
