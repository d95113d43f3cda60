#include "image/fetch/url_fetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/curl/libcurl.h"

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

// Receives the body: writes it to the file and hashes it, within the cap.
struct Sink {
  int fd = -1;
  Sha256Hasher hasher;
  uint64_t bytes = 0;
  uint64_t max_bytes = 0;
  absl::Status status;

  static size_t Write(char* data, size_t size, size_t n, void* self) {
    auto* sink = static_cast<Sink*>(self);
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

absl::Status HttpError(long code, const std::string& url) {
  std::string message = absl::StrCat("fetching ", url, ": HTTP status ", code);
  if (code == 404 || code == 410) return absl::NotFoundError(message);
  if (code == 401 || code == 403) return absl::PermissionDeniedError(message);
  if (code >= 500) return absl::UnavailableError(message);
  return absl::FailedPreconditionError(message);
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
  int fd =
      open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("creating ", dest_path));
  ScopedFd file(fd);
  fchmod(fd, 0600);
  Sink sink;
  sink.fd = fd;
  sink.max_bytes = options.max_bytes;

  ASSIGN_OR_RETURN(const LibCurl* lib, LoadLibCurl());
  CURL* curl = lib->easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  char error[CURL_ERROR_SIZE] = {};
  lib->easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib->easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  lib->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  lib->easy_setopt(curl, CURLOPT_MAXREDIRS, options.max_redirects);
  lib->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(curl, CURLOPT_FILETIME, 1L);
  lib->easy_setopt(curl, CURLOPT_USERAGENT, "farm");
  lib->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
  lib->easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  lib->easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Sink::Write);
  lib->easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  CURLcode rc = lib->easy_perform(curl);
  long code = 0;
  curl_off_t filetime = -1;
  lib->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  lib->easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
  lib->easy_cleanup(curl);

  absl::Status status;
  if (!sink.status.ok()) {
    status = Annotate(sink.status, absl::StrCat("fetching ", url));
  } else if (rc != CURLE_OK) {
    status = absl::UnavailableError(
        absl::StrCat("fetching ", url, ": ",
                     error[0] != '\0' ? error : lib->easy_strerror(rc)));
  } else if (code < 200 || code >= 300) {
    status = HttpError(code, url);
  }
  FetchedFile out;
  if (status.ok()) {
    out.path = dest_path;
    out.file_name = UrlFileName(url);
    out.size = sink.bytes;
    out.digest = sink.hasher.Finish();
    if (filetime >= 0) out.last_modified = static_cast<int64_t>(filetime);
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
