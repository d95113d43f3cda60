#include "image/fetch/url_fetch.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/curl/libcurl.h"
#include "image/fetch/fetch_policy.h"
#include "image/fetch/url_parts.h"

namespace farm::image {
namespace {

constexpr absl::string_view kUnnamed = "__unnamed__";

std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      auto hex = [](char c) {
        return absl::ascii_isdigit(c) ? c - '0'
                                      : absl::ascii_tolower(c) - 'a' + 10;
      };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Receives the body of the final response: writes it to the file and hashes
// it, within the cap. A redirect's body is read (curl reports the redirect
// only for a complete transfer) but dropped, within the same cap.
struct Sink {
  const LibCurl* lib = nullptr;
  CURL* curl = nullptr;  // of the current hop
  int fd = -1;
  Sha256Hasher hasher;
  uint64_t bytes = 0;
  uint64_t dropped = 0;  // of the current hop's redirect
  uint64_t max_bytes = 0;
  absl::Status status;

  static size_t Write(char* data, size_t size, size_t n, void* self) {
    auto* sink = static_cast<Sink*>(self);
    long code = 0;
    sink->lib->easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 300 && code < 400) {
      sink->dropped += size * n;
      if (sink->dropped <= sink->max_bytes) return size * n;
      sink->status = absl::ResourceExhaustedError(absl::StrCat(
          "a redirect larger than the limit of ", sink->max_bytes, " bytes"));
      return 0;
    }
    size_t len = size * n;
    sink->bytes += len;
    if (sink->bytes > sink->max_bytes) {
      sink->status = absl::ResourceExhaustedError(
          absl::StrCat("larger than the limit of ", sink->max_bytes, " bytes"));
      return 0;
    }
    sink->hasher.Update(data, len);
    for (size_t off = 0; off < len;) {
      ssize_t w = write(sink->fd, data + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        sink->status = ErrnoStatus(errno, "writing the download");
        return 0;
      }
      off += w;
    }
    return len;
  }
};

// Checks every connection curl opens for one hop against the policy, so
// that neither a DNS answer that changed since an earlier lookup nor a
// redirect reaches an address the policy refuses.
struct ConnectionGuard {
  const FetchPolicy* policy = nullptr;
  std::string url;   // of the hop
  std::string host;  // of the hop, as curl reads it
  absl::Status refusal;

  static curl_socket_t Open(void* self, curlsocktype /*purpose*/,
                            struct curl_sockaddr* address) {
    auto* guard = static_cast<ConnectionGuard*>(self);
    absl::Status allowed =
        guard->policy->CheckConnection(guard->url, guard->host, &address->addr);
    if (!allowed.ok()) {
      if (guard->refusal.ok()) guard->refusal = allowed;
      return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC,
                  address->protocol);
  }
};

// What one request of a fetch (the URL asked for or a redirect) ended with.
struct Hop {
  CURLcode rc = CURLE_OK;
  std::string error;  // curl's, when rc is not CURLE_OK
  absl::Status refusal;
  long code = 0;
  curl_off_t filetime = -1;
  std::string redirect;  // the absolute Location of a 3xx
  absl::Duration took;
};

const FetchPolicy& DefaultPolicy() {
  static const FetchPolicy* policy = new FetchPolicy();
  return *policy;
}

// One request on a fresh handle, so that no connection of an earlier hop,
// checked for another host, is re-used.
Hop PerformHop(const LibCurl& lib, ConnectionGuard& guard,
               absl::Duration timeout, Sink& sink) {
  Hop hop;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(lib.easy_init(),
                                              lib.easy_cleanup);
  if (curl == nullptr) {
    hop.rc = CURLE_FAILED_INIT;
    hop.error = "curl_easy_init failed";
    return hop;
  }
  CURL* c = curl.get();
  char error[CURL_ERROR_SIZE] = {};
  lib.easy_setopt(c, CURLOPT_URL, guard.url.c_str());
  lib.easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  lib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  lib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(c, CURLOPT_PROXY, "");  // the guard must see the real peer
  lib.easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &ConnectionGuard::Open);
  lib.easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard);
  lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(c, CURLOPT_FILETIME, 1L);
  lib.easy_setopt(c, CURLOPT_USERAGENT, "farm");
  lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
  lib.easy_setopt(c, CURLOPT_TIMEOUT_MS,
                  static_cast<long>(std::max<int64_t>(
                      1, absl::ToInt64Milliseconds(timeout))));
  lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, &Sink::Write);
  lib.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  sink.curl = c;
  sink.dropped = 0;
  hop.rc = lib.easy_perform(c);
  if (hop.rc != CURLE_OK) {
    hop.error = error[0] != '\0' ? error : lib.easy_strerror(hop.rc);
  }
  hop.refusal = guard.refusal;
  char* redirect = nullptr;
  curl_off_t took_us = 0;
  lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &hop.code);
  lib.easy_getinfo(c, CURLINFO_FILETIME_T, &hop.filetime);
  lib.easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect);
  lib.easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &took_us);
  if (redirect != nullptr) hop.redirect = redirect;
  hop.took = absl::Microseconds(took_us);
  sink.curl = nullptr;
  return hop;
}

absl::Status HttpError(long code, const std::string& url) {
  std::string message = absl::StrCat("fetching ", url, ": HTTP status ", code);
  if (code == 404 || code == 410) return absl::NotFoundError(message);
  if (code == 401 || code == 403) return absl::PermissionDeniedError(message);
  if (code >= 500) return absl::UnavailableError(message);
  return absl::FailedPreconditionError(message);
}

// Requests `url`, then each redirect it leads to, every hop checked anew by
// the policy, until a response that is not a redirect: its Hop, or the error
// that ended the chain.
absl::StatusOr<Hop> FollowRedirects(const LibCurl& lib, const std::string& url,
                                    const FetchOptions& options, Sink& sink) {
  ConnectionGuard guard;
  guard.policy = options.policy != nullptr ? options.policy : &DefaultPolicy();
  guard.url = url;
  absl::Duration remaining = options.timeout;
  for (long redirects = 0;; ++redirects) {
    absl::StatusOr<UrlParts> parts = ParseUrlParts(guard.url);
    if (!parts.ok()) return Annotate(parts.status(), "fetching " + url);
    if (parts->scheme != "http" && parts->scheme != "https") {
      return absl::PermissionDeniedError(
          absl::StrCat("fetching ", url, ": redirected to ", guard.url,
                       ", which is not an http:// or https:// URL"));
    }
    guard.host = parts->host;
    guard.refusal = absl::OkStatus();
    Hop hop = PerformHop(lib, guard, remaining, sink);
    if (hop.rc != CURLE_OK && !hop.refusal.ok()) {
      if (guard.url == url) return hop.refusal;
      return Annotate(hop.refusal, absl::StrCat("fetching ", url));
    }
    if (hop.rc != CURLE_OK || hop.code < 300 || hop.code >= 400 ||
        hop.redirect.empty()) {
      return hop;
    }
    if (redirects >= options.max_redirects) {
      return absl::UnavailableError(
          absl::StrCat("fetching ", url, ": more than ", options.max_redirects,
                       " redirects (the last to ", hop.redirect, ")"));
    }
    remaining -= hop.took;
    guard.url = hop.redirect;
  }
}

// The outcome of the final hop as a status that names the URL asked for.
absl::Status FinalStatus(const std::string& url, const absl::StatusOr<Hop>& hop,
                         const Sink& sink) {
  if (!hop.ok()) return hop.status();
  if (!sink.status.ok()) {
    return Annotate(sink.status, absl::StrCat("fetching ", url));
  }
  if (hop->rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("fetching ", url, ": ", hop->error));
  }
  if (hop->code < 200 || hop->code >= 300) return HttpError(hop->code, url);
  return absl::OkStatus();
}

}  // namespace

bool IsUrl(absl::string_view source) {
  return absl::StartsWith(source, "http://") ||
         absl::StartsWith(source, "https://");
}

bool IsGitSource(absl::string_view source) {
  if (absl::StartsWith(source, "git@") || absl::StartsWith(source, "git://")) {
    return true;
  }
  if (!IsUrl(source)) return false;
  absl::string_view base = source.substr(0, source.find('#'));
  return absl::EndsWith(base, ".git");
}

std::string UrlFileName(absl::string_view url) {
  size_t scheme = url.find("://");
  absl::string_view rest =
      scheme == absl::string_view::npos ? url : url.substr(scheme + 3);
  size_t end = rest.find_first_of("?#");
  rest = rest.substr(0, end);
  size_t slash = rest.find('/');
  std::string path =
      slash == absl::string_view::npos ? "" : Unescape(rest.substr(slash));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::string base = BaseName(path);
  if (base.empty() || base == "." || base == "/") return std::string(kUnnamed);
  return base;
}

absl::StatusOr<FetchedFile> FetchUrl(const std::string& url,
                                     const std::string& dest_path,
                                     const FetchOptions& options) {
  if (!IsUrl(url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not an http:// or https:// URL"));
  }
  std::optional<Digest> want;
  if (!options.checksum.empty()) {
    absl::StatusOr<Digest> d = Digest::Parse(options.checksum);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--checksum=", options.checksum, " for ", url,
                       ": only sha256:<64 hex> checksums are supported"));
    }
    want = *d;
  }
  ASSIGN_OR_RETURN(const LibCurl* lib, LoadLibCurl());
  int fd =
      open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("creating ", dest_path));
  ScopedFd file(fd);
  fchmod(fd, 0600);
  Sink sink;
  sink.lib = lib;
  sink.fd = fd;
  sink.max_bytes = options.max_bytes;

  absl::StatusOr<Hop> hop = FollowRedirects(*lib, url, options, sink);
  absl::Status status = FinalStatus(url, hop, sink);
  FetchedFile out;
  if (status.ok()) {
    out.path = dest_path;
    out.file_name = UrlFileName(url);
    out.size = sink.bytes;
    out.digest = sink.hasher.Finish();
    if (hop->filetime >= 0) {
      out.last_modified = static_cast<int64_t>(hop->filetime);
    }
    if (want.has_value() && *want != out.digest) {
      status = absl::DataLossError(absl::StrCat(
          "fetching ", url, ": content has digest ", out.digest.ToString(),
          ", not the --checksum ", want->ToString()));
    }
  }
  if (!status.ok()) {
    unlink(dest_path.c_str());
    return status;
  }
  if (out.last_modified.has_value()) {
    struct timespec times[2] = {{*out.last_modified, 0},
                                {*out.last_modified, 0}};
    futimens(fd, times);
  }
  return out;
}

}  // namespace farm::image
