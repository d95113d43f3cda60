#include "cache/s3/s3_transport.h"

#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "image/curl/libcurl.h"

namespace farm::cache::s3 {
namespace {

using image::LoadedLibCurl;

// A streamed download stops taking bytes from libcurl past this many unread
// ones, so a slow reader holds at most about this much in memory.
constexpr size_t kPauseAbove = 1 << 20;
constexpr long kDownloadBuffer = 512 << 10;
constexpr long kUploadBuffer = 2 << 20;  // libcurl's maximum

// What the callbacks of one transfer share.
struct Transfer {
  const S3Request* request = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  char error_text[CURL_ERROR_SIZE] = {0};
  S3Response response;
  absl::Status error;  // set by a callback that aborted the transfer
  bool headers_done = false;
  // Open(): a 2xx body goes to `pending` for the reader instead.
  bool streaming = false;
  bool paused = false;
  std::string pending;
  size_t pending_read = 0;
  uint64_t uploaded = 0;

  ~Transfer() {
    if (headers != nullptr) LoadedLibCurl().slist_free_all(headers);
    if (connect_to != nullptr) LoadedLibCurl().slist_free_all(connect_to);
  }
  bool Success() const {
    return response.status >= 200 && response.status < 300;
  }
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    // Also after a 100 Continue: the final status line replaces it.
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    int status = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &status)) {
      t->response.status = status;
    }
    t->headers_done = false;
  } else if (line.empty()) {
    t->headers_done = t->response.status >= 200;
  } else if (absl::StartsWithIgnoreCase(line, "content-length:")) {
    absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(15)),
                     &t->response.content_length);
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->streaming && t->Success()) {
    if (t->pending.size() - t->pending_read >= kPauseAbove) {
      t->paused = true;
      return CURL_WRITEFUNC_PAUSE;  // delivered again once unpaused
    }
    t->pending.append(data, bytes);
    return bytes;
  }
  if (t->response.body.size() + bytes > t->request->max_body_bytes) {
    t->error = absl::ResourceExhaustedError(
        absl::StrCat("an answer of the object store is longer than ",
                     t->request->max_body_bytes, " bytes"));
    return 0;
  }
  t->response.body.append(data, bytes);
  return bytes;
}

size_t OnUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const S3Request& request = *t->request;
  uint64_t left = request.body_size - t->uploaded;
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, left));
  if (want == 0) return 0;
  if (request.body_fd < 0) {
    std::memcpy(buffer, request.body.data() + t->uploaded, want);
    t->uploaded += want;
    return want;
  }
  ssize_t got = pread(request.body_fd, buffer, want, t->uploaded);
  if (got <= 0) {
    t->error = got < 0 ? absl::InternalError(absl::StrCat(
                             "reading the blob to upload: ", strerror(errno)))
                       : absl::DataLossError("the blob to upload shrank");
    return CURL_READFUNC_ABORT;
  }
  t->uploaded += got;
  return got;
}

}  // namespace

// A multi handle with spare easy handles. Used by one call at a time; the
// multi handle keeps the connections for the next call.
class S3Transport::Engine {
 public:
  Engine() : multi_(LoadedLibCurl().multi_init()) {}
  ~Engine() {
    for (CURL* curl : spare_) LoadedLibCurl().easy_cleanup(curl);
    LoadedLibCurl().multi_cleanup(multi_);
  }
  CURLM* multi() { return multi_; }
  CURL* TakeEasy() {
    if (spare_.empty()) return LoadedLibCurl().easy_init();
    CURL* curl = spare_.back();
    spare_.pop_back();
    return curl;
  }
  void GiveEasy(CURL* curl) {
    LoadedLibCurl().easy_reset(curl);
    spare_.push_back(curl);
  }
  // Runs the transfers as far as they go without blocking; returns those
  // that ended, with their results.
  std::vector<std::pair<CURL*, CURLcode>> Perform() {
    const image::LibCurl& curl = LoadedLibCurl();
    int running = 0;
    curl.multi_perform(multi_, &running);
    std::vector<std::pair<CURL*, CURLcode>> ended;
    int left = 0;
    while (CURLMsg* message = curl.multi_info_read(multi_, &left)) {
      if (message->msg == CURLMSG_DONE) {
        ended.emplace_back(message->easy_handle, message->data.result);
      }
    }
    return ended;
  }
  // Waits up to `wait_ms` for a socket or timer to need Perform.
  void Wait(int wait_ms) {
    LoadedLibCurl().multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
  }

 private:
  CURLM* multi_;
  std::vector<CURL*> spare_;
};

namespace {

// Sets every option of `t`'s request on `curl`.
void Configure(CURL* curl, Transfer& t, const S3Options& options,
               const std::string& url) {
  const image::LibCurl& lib = LoadedLibCurl();
  const S3Request& request = *t.request;
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, t.error_text);
  lib.easy_setopt(curl, CURLOPT_PRIVATE, &t);
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  lib.easy_setopt(curl, CURLOPT_BUFFERSIZE, kDownloadBuffer);
  lib.easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  // A stalled transfer: under one byte per second for stall_timeout.
  lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.easy_setopt(
      curl, CURLOPT_LOW_SPEED_TIME,
      static_cast<long>(absl::ToInt64Seconds(options.stall_timeout)));
  if (!options.connect_to.empty()) {
    // The list lives in the Transfer, as libcurl does not copy it.
    t.connect_to =
        LoadedLibCurl().slist_append(nullptr, options.connect_to.c_str());
    lib.easy_setopt(curl, CURLOPT_CONNECT_TO, t.connect_to);
  }
  if (!options.ca_file.empty()) {
    lib.easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  // libcurl signs: "aws:amz:REGION:SERVICE" gives AWS4-HMAC-SHA256 with the
  // x-amz- headers, and it signs the x-amz-content-sha256 given below.
  std::string sigv4 = absl::StrCat("aws:amz:", options.region, ":s3");
  lib.easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  // Not CURLOPT_USERPWD: access keys may hold a ':' (Swift's "account:user").
  lib.easy_setopt(curl, CURLOPT_USERNAME, options.access_key.c_str());
  lib.easy_setopt(curl, CURLOPT_PASSWORD, options.secret_key.c_str());

  std::vector<std::string> headers = {
      absl::StrCat("x-amz-content-sha256: ", request.content_sha256)};
  if (!request.range.empty()) {
    headers.push_back(absl::StrCat("Range: ", request.range));
  }
  if (!options.fixed_amz_date.empty()) {
    headers.push_back(absl::StrCat("x-amz-date: ", options.fixed_amz_date));
  }
  for (const std::string& header : headers) {
    t.headers = lib.slist_append(t.headers, header.c_str());
  }
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, t.headers);

  if (request.method == "HEAD") {
    lib.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    lib.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    lib.easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBuffer);
    lib.easy_setopt(curl, CURLOPT_READFUNCTION, OnUpload);
    lib.easy_setopt(curl, CURLOPT_READDATA, &t);
    lib.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                    static_cast<curl_off_t>(request.body_size));
  } else if (request.method != "GET") {
    lib.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

Transfer* TransferOf(CURL* curl) {
  char* t = nullptr;
  LoadedLibCurl().easy_getinfo(curl, CURLINFO_PRIVATE, &t);
  return reinterpret_cast<Transfer*>(t);
}

absl::Status TransferError(const Transfer& t, CURLcode code,
                           const S3Options& options) {
  if (!t.error.ok()) return t.error;
  if (code == CURLE_OK) return absl::OkStatus();
  const char* detail = t.error_text[0] != '\0'
                           ? t.error_text
                           : LoadedLibCurl().easy_strerror(code);
  return absl::UnavailableError(
      absl::StrCat("object store ", options.endpoint, ": ", detail));
}

// The body of a streamed GET, pulled from libcurl as it is read.
class StreamReader : public ByteReader {
 public:
  StreamReader(
      S3Transport* transport, std::unique_ptr<S3Transport::Engine> engine,
      std::unique_ptr<Transfer> transfer, CURL* curl,
      std::function<void(std::unique_ptr<S3Transport::Engine>)> release)
      : transport_(transport),
        engine_(std::move(engine)),
        transfer_(std::move(transfer)),
        curl_(curl),
        release_(std::move(release)) {}
  ~StreamReader() override {
    // Removing a transfer that has not ended closes its connection.
    LoadedLibCurl().multi_remove_handle(engine_->multi(), curl_);
    engine_->GiveEasy(curl_);
    release_(std::move(engine_));
  }

  // Moves the transfer on, waiting for the network only when it gave
  // nothing new (a paused transfer is not waited on: nothing would wake
  // the wait). Called by Open while it waits for the headers too.
  void Pump() {
    Transfer& t = *transfer_;
    size_t pending = t.pending.size();
    bool headers_done = t.headers_done;
    for (auto [curl, code] : engine_->Perform()) {
      ended_ = true;
      end_status_ = TransferError(t, code, transport_->options());
    }
    if (!ended_ && !t.paused && t.pending.size() == pending &&
        t.headers_done == headers_done) {
      engine_->Wait(1000);
    }
  }
  bool ended() const { return ended_; }
  const absl::Status& end_status() const { return end_status_; }
  Transfer& transfer() { return *transfer_; }

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    Transfer& t = *transfer_;
    while (t.pending_read == t.pending.size()) {
      t.pending.clear();
      t.pending_read = 0;
      if (t.paused) {
        t.paused = false;
        // May call OnBody at once with what it held back.
        LoadedLibCurl().easy_pause(curl_, CURLPAUSE_CONT);
        continue;
      }
      if (ended_) {
        if (!end_status_.ok()) return end_status_;
        return 0;
      }
      Pump();
    }
    size_t n = std::min(size, t.pending.size() - t.pending_read);
    std::memcpy(buf, t.pending.data() + t.pending_read, n);
    t.pending_read += n;
    return n;
  }

 private:
  S3Transport* transport_;
  std::unique_ptr<S3Transport::Engine> engine_;
  std::unique_ptr<Transfer> transfer_;
  CURL* curl_;
  std::function<void(std::unique_ptr<S3Transport::Engine>)> release_;
  bool ended_ = false;
  absl::Status end_status_;
};

}  // namespace

S3Transport::S3Transport(S3Options options) : options_(std::move(options)) {}

S3Transport::~S3Transport() = default;

std::string S3Transport::UrlOf(absl::string_view key) const {
  std::string url;
  if (options_.virtual_hosted) {
    size_t host = options_.endpoint.find("://") + 3;
    url = absl::StrCat(options_.endpoint.substr(0, host), options_.bucket, ".",
                       options_.endpoint.substr(host), "/");
  } else {
    url = absl::StrCat(options_.endpoint, "/", options_.bucket, "/");
  }
  for (char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '/') {
      url.push_back(c);
    } else {
      absl::StrAppend(
          &url, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  return url;
}

std::unique_ptr<S3Transport::Engine> S3Transport::Acquire() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) return std::make_unique<Engine>();
  std::unique_ptr<Engine> engine = std::move(idle_.back());
  idle_.pop_back();
  return engine;
}

void S3Transport::Release(std::unique_ptr<Engine> engine) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(engine));
}

absl::StatusOr<S3Response> S3Transport::Send(const S3Request& request) {
  std::vector<absl::StatusOr<S3Response>> answers =
      SendAll(absl::MakeConstSpan(&request, 1));
  return std::move(answers[0]);
}

std::vector<absl::StatusOr<S3Response>> S3Transport::SendAll(
    absl::Span<const S3Request> requests) {
  std::vector<absl::StatusOr<S3Response>> answers(
      requests.size(), absl::InternalError("not sent"));
  absl::StatusOr<const image::LibCurl*> lib = image::LoadLibCurl();
  if (!lib.ok()) {
    for (auto& answer : answers) answer = lib.status();
    return answers;
  }
  std::unique_ptr<Engine> engine = Acquire();
  std::vector<std::unique_ptr<Transfer>> transfers(requests.size());
  std::vector<std::string> urls(requests.size());
  size_t next = 0;
  int in_flight = 0;
  auto start = [&](size_t i) {
    transfers[i] = std::make_unique<Transfer>();
    transfers[i]->request = &requests[i];
    urls[i] = UrlOf(requests[i].key);
    CURL* curl = engine->TakeEasy();
    Configure(curl, *transfers[i], options_, urls[i]);
    (*lib)->multi_add_handle(engine->multi(), curl);
    ++in_flight;
  };
  int parallel = std::max(1, options_.max_parallel);
  while (next < requests.size() && in_flight < parallel) start(next++);
  while (in_flight > 0) {
    std::vector<std::pair<CURL*, CURLcode>> ended = engine->Perform();
    if (ended.empty()) engine->Wait(1000);
    for (auto [curl, code] : ended) {
      Transfer* t = TransferOf(curl);
      size_t i = t->request - requests.data();
      absl::Status failed = TransferError(*t, code, options_);
      if (failed.ok()) {
        answers[i] = std::move(t->response);
      } else {
        answers[i] = failed;
      }
      (*lib)->multi_remove_handle(engine->multi(), curl);
      engine->GiveEasy(curl);
      transfers[i].reset();
      --in_flight;
      if (next < requests.size()) start(next++);
    }
  }
  Release(std::move(engine));
  return answers;
}

absl::StatusOr<S3Stream> S3Transport::Open(const S3Request& request) {
  absl::StatusOr<const image::LibCurl*> lib = image::LoadLibCurl();
  if (!lib.ok()) return lib.status();
  std::unique_ptr<Engine> engine = Acquire();
  auto transfer = std::make_unique<Transfer>();
  transfer->request = &request;
  transfer->streaming = true;
  std::string url = UrlOf(request.key);
  CURL* curl = engine->TakeEasy();
  Configure(curl, *transfer, options_, url);
  (*lib)->multi_add_handle(engine->multi(), curl);
  auto reader = std::make_unique<StreamReader>(
      this, std::move(engine), std::move(transfer), curl,
      [this](std::unique_ptr<Engine> engine) { Release(std::move(engine)); });
  // `request` is only read until the headers are in (a GET has no body).
  while (!reader->transfer().headers_done && !reader->ended()) {
    reader->Pump();
  }
  if (!reader->end_status().ok()) return reader->end_status();
  S3Stream stream;
  stream.status = reader->transfer().response.status;
  stream.content_length = reader->transfer().response.content_length;
  if (!reader->transfer().Success()) {
    while (!reader->ended()) reader->Pump();
    if (!reader->end_status().ok()) return reader->end_status();
    stream.error_body = std::move(reader->transfer().response.body);
    return stream;
  }
  reader->transfer().request = nullptr;
  stream.body = std::move(reader);
  return stream;
}

}  // namespace farm::cache::s3
