#include "image/registry/testing/http_test_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/registry/testing/loopback.h"

namespace farm::image::registry::testing {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(n);
  }
  return true;
}

// Buffered reads from one connection.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  // Reads until `buf_` holds `delim`; returns its end offset or npos on EOF.
  size_t FillUntil(absl::string_view delim) {
    for (;;) {
      size_t at = buf_.find(delim.data(), 0, delim.size());
      if (at != std::string::npos) return at + delim.size();
      if (!Fill()) return std::string::npos;
    }
  }
  bool FillTo(size_t n) {
    while (buf_.size() < n) {
      if (!Fill()) return false;
    }
    return true;
  }
  std::string Take(size_t n) {
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  // Whether the peer opened with a TLS handshake record: answer a client
  // probing for HTTPS at once instead of waiting for a header end.
  bool StartsWithTls() { return FillTo(1) && buf_[0] == 0x16; }
  bool ReadLine(std::string* line) {
    size_t end = FillUntil("\r\n");
    if (end == std::string::npos) return false;
    *line = Take(end);
    line->resize(line->size() - 2);
    return true;
  }

 private:
  bool Fill() {
    char tmp[64 << 10];
    ssize_t n;
    do {
      n = read(fd_, tmp, sizeof(tmp));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buf_.append(tmp, n);
    return true;
  }
  int fd_;
  std::string buf_;
};

bool ReadBody(Conn& conn, const HttpHeaders& headers, std::string* body) {
  if (absl::EqualsIgnoreCase(headers.Get("Transfer-Encoding"), "chunked")) {
    for (;;) {
      std::string line;
      if (!conn.ReadLine(&line)) return false;
      uint64_t size = 0;
      if (!absl::SimpleHexAtoi(line.substr(0, line.find(';')), &size)) {
        return false;
      }
      if (size == 0) {
        std::string trailer;
        do {
          if (!conn.ReadLine(&trailer)) return false;
        } while (!trailer.empty());
        return true;
      }
      if (!conn.FillTo(size + 2)) return false;
      body->append(conn.Take(size));
      conn.Take(2);
    }
  }
  uint64_t length = 0;
  std::string cl = headers.Get("Content-Length");
  if (!cl.empty() && !absl::SimpleAtoi(cl, &length)) return false;
  if (!conn.FillTo(length)) return false;
  *body = conn.Take(length);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> QueryValues(const std::string& query,
                                     const std::string& name) {
  std::vector<std::string> out;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    if (PercentDecode(pair.substr(0, eq)) == name) {
      out.push_back(PercentDecode(pair.substr(eq + 1)));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<HttpTestServer>> HttpTestServer::Start(
    Handler handler) {
  int port = 0;
  ASSIGN_OR_RETURN(ScopedFd fd, BindLoopback(&port));
  if (listen(fd.get(), 64) != 0) {
    return ErrnoStatus(errno, "listening on 127.0.0.1");
  }
  return std::unique_ptr<HttpTestServer>(
      new HttpTestServer(fd.release(), port, std::move(handler)));
}

HttpTestServer::HttpTestServer(int fd, int port, Handler handler)
    : listen_fd_(fd), port_(port), handler_(std::move(handler)) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

HttpTestServer::~HttpTestServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(connections_);
  }
  for (std::thread& t : threads) t.join();
}

std::string HttpTestServer::host() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void HttpTestServer::AcceptLoop() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    open_fds_.insert(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void HttpTestServer::Serve(int fd) {
  Conn conn(fd);
  bool tls = conn.StartsWithTls();
  if (tls) WriteAll(fd, "HTTP/1.1 400 Bad Request\r\n\r\n");
  while (!tls) {
    size_t head_end = conn.FillUntil("\r\n\r\n");
    if (head_end == std::string::npos) break;
    std::string head = conn.Take(head_end);
    std::vector<std::string> lines =
        absl::StrSplit(head.substr(0, head.size() - 4), "\r\n");
    std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
    if (first.size() != 3 || !absl::StartsWith(first[2], "HTTP/1.")) {
      WriteAll(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      break;
    }
    TestRequest req;
    req.method = first[0];
    req.target = first[1];
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      req.headers.Add(
          lines[i].substr(0, colon),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    if (!ReadBody(conn, req.headers, &req.body)) break;

    TestResponse resp = handler_(req);
    bool close_after =
        absl::EqualsIgnoreCase(req.headers.Get("Connection"), "close");
    std::string out = absl::StrCat("HTTP/1.1 ", resp.status, " ",
                                   Reason(resp.status), "\r\n");
    for (const auto& [name, value] : resp.headers.fields()) {
      absl::StrAppend(&out, name, ": ", value, "\r\n");
    }
    int64_t length = req.method == "HEAD" && resp.head_length >= 0
                         ? resp.head_length
                         : static_cast<int64_t>(resp.body.size());
    absl::StrAppend(&out, "Content-Length: ", length, "\r\n");
    if (close_after) absl::StrAppend(&out, "Connection: close\r\n");
    absl::StrAppend(&out, "\r\n");
    if (req.method != "HEAD") absl::StrAppend(&out, resp.body);
    if (!WriteAll(fd, out) || close_after) break;
  }
  absl::MutexLock lock(&mu_);
  open_fds_.erase(fd);
  close(fd);
}

}  // namespace farm::image::registry::testing
