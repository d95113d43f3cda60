#include "image/registry/curl_transport.h"

#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/curl/libcurl.h"

namespace farm::image::registry {
namespace {

constexpr long kDownloadBuffer = 512 << 10;
constexpr long kUploadBuffer = 2 << 20;  // libcurl's maximum

// What the libcurl callbacks of one transfer share.
struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  ByteWriter* sink = nullptr;
  HttpResponse response;
  absl::Status error;      // set by a callback that aborted the transfer
  size_t body_offset = 0;  // into request->body
  int64_t read_total = 0;  // from request->body_reader
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response starts (after a redirect or a 100 Continue).
    t->response.headers = HttpHeaders();
    t->response.body.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    t->response.headers.Add(
        std::string(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  long code = 0;
  LoadedLibCurl().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
  if (t->sink != nullptr && code >= 200 && code < 300) {
    absl::Status s = t->sink->Write(absl::string_view(data, bytes));
    if (!s.ok()) {
      t->error = s;
      return 0;
    }
    return bytes;
  }
  if (t->response.body.size() + bytes > t->request->max_body_bytes) {
    t->error = absl::ResourceExhaustedError(absl::StrCat(
        "the response to ", t->request->method, " ", t->request->url,
        " is larger than ", t->request->max_body_bytes, " bytes"));
    return 0;
  }
  t->response.body.append(data, bytes);
  return bytes;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = size * n;
  const HttpRequest& r = *t->request;
  if (r.body_reader == nullptr) {
    size_t len = std::min(want, r.body.size() - t->body_offset);
    memcpy(buf, r.body.data() + t->body_offset, len);
    t->body_offset += len;
    return len;
  }
  int64_t left = r.body_size - t->read_total;
  if (left <= 0) return 0;
  want = static_cast<size_t>(std::min<int64_t>(want, left));
  absl::StatusOr<size_t> got = r.body_reader->Read(buf, want);
  if (!got.ok()) {
    t->error = got.status();
    return CURL_READFUNC_ABORT;
  }
  if (*got == 0) {
    t->error = absl::DataLossError(
        absl::StrCat("the body for ", r.method, " ", r.url, " ended after ",
                     t->read_total, " of ", r.body_size, " bytes"));
    return CURL_READFUNC_ABORT;
  }
  t->read_total += *got;
  return *got;
}

// libcurl rewinds when a reused connection turned out dead; a string body
// can always go back, a stream only if nothing was read yet.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  if (t->request->body_reader == nullptr) {
    if (offset < 0 || static_cast<size_t>(offset) > t->request->body.size()) {
      return CURL_SEEKFUNC_FAIL;
    }
    t->body_offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
  return offset == t->read_total ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

int64_t BodySize(const HttpRequest& r) {
  return r.body_reader != nullptr ? r.body_size
                                  : static_cast<int64_t>(r.body.size());
}

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)) {}

CurlTransport::~CurlTransport() {
  absl::MutexLock lock(&mu_);
  for (void* h : idle_) LoadedLibCurl().easy_cleanup(static_cast<CURL*>(h));
}

void* CurlTransport::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return LoadedLibCurl().easy_init();
}

void CurlTransport::Release(void* handle) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(handle);
}

absl::StatusOr<HttpResponse> CurlTransport::Send(const HttpRequest& request,
                                                 ByteWriter* sink) {
  // Handles exist only once libcurl is loaded; load it on the first request.
  RETURN_IF_ERROR(LoadLibCurl().status());
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  LoadedLibCurl().easy_reset(curl);
  Transfer t;
  t.curl = curl;
  t.request = &request;
  t.sink = sink;
  char errbuf[CURL_ERROR_SIZE] = {0};

  LoadedLibCurl().easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  LoadedLibCurl().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_USERAGENT,
                              options_.user_agent.c_str());
  LoadedLibCurl().easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  LoadedLibCurl().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  LoadedLibCurl().easy_setopt(
      curl, CURLOPT_LOW_SPEED_TIME,
      static_cast<long>(absl::ToInt64Seconds(options_.stall_timeout)));
  LoadedLibCurl().easy_setopt(curl, CURLOPT_BUFFERSIZE, kDownloadBuffer);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBuffer);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  LoadedLibCurl().easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (request.follow_redirects) {
    LoadedLibCurl().easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  }
  if (!request.verify_tls) {
    LoadedLibCurl().easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  LoadedLibCurl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  LoadedLibCurl().easy_setopt(curl, CURLOPT_WRITEDATA, &t);

  const std::string& m = request.method;
  bool has_body = request.body_reader != nullptr || !request.body.empty() ||
                  m == "PUT" || m == "POST" || m == "PATCH";
  if (m == "HEAD") {
    LoadedLibCurl().easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    LoadedLibCurl().easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                                static_cast<curl_off_t>(BodySize(request)));
    LoadedLibCurl().easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_READDATA, &t);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_SEEKFUNCTION, OnSeek);
    LoadedLibCurl().easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  }
  if (m != "GET" && m != "HEAD" && m != "PUT") {
    LoadedLibCurl().easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
  }

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers.fields()) {
    headers = LoadedLibCurl().slist_append(
        headers, absl::StrCat(name, ": ", value).c_str());
  }
  // No "Expect: 100-continue" round trip before bodies.
  headers = LoadedLibCurl().slist_append(headers, "Expect:");
  LoadedLibCurl().easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = LoadedLibCurl().easy_perform(curl);
  LoadedLibCurl().slist_free_all(headers);
  long code = 0;
  LoadedLibCurl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  char* effective = nullptr;
  LoadedLibCurl().easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) t.response.url = effective;
  // Keep the handle (and its connections) only after a clean transfer.
  if (rc == CURLE_OK) {
    Release(curl);
  } else {
    LoadedLibCurl().easy_cleanup(curl);
  }
  if (!t.error.ok()) return t.error;
  if (rc != CURLE_OK) {
    std::string detail =
        errbuf[0] != '\0' ? errbuf : LoadedLibCurl().easy_strerror(rc);
    return absl::UnavailableError(
        absl::StrCat(request.method, " ", request.url, ": ", detail));
  }
  t.response.status = static_cast<int>(code);
  return std::move(t.response);
}

}  // namespace farm::image::registry
