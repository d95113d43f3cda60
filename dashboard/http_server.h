// HttpServer: cpp-httplib under the dashboard. It turns each request into
// an HttpRequest for a handler, which answers through an HttpExchange with
// one response or with a stream (Server-Sent Events). With a certificate
// it serves HTTPS only, with the same certificate and key as the gRPC port
// and, with a client CA, client certificates verified against it
// (optional, since browsers log in with a token instead).
//
// Why cpp-httplib: Debian's civetweb (which prometheus-cpp brings) loads
// OpenSSL by name at run time and looks for functions OpenSSL 3 no longer
// exports, so its HTTPS crashes on Debian 12; Debian's cpp-httplib links
// OpenSSL 3 properly, and its thread pool and chunked streams are what the
// dashboard needs. Boost.Beast would do too, at several times the code.
#ifndef FARM_DASHBOARD_HTTP_SERVER_H_
#define FARM_DASHBOARD_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dashboard/http_types.h"

namespace httplib {
class Server;
}

namespace farm::dashboard {

struct HttpServerOptions {
  std::string address;   // "HOST:PORT"; port 0 picks a free one
  std::string tls_cert;  // PEM files; both empty: plain HTTP
  std::string tls_key;
  std::string tls_client_ca;  // "" : no client certificates
  // Requests served at once; each open stream holds one.
  int threads = 64;
};

// One request's answer: either Send or Stream, once.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void Send(const HttpResponse& response) = 0;
  // Answers 200 with `content_type`, then calls `produce` (possibly after
  // the handler has returned, on the same thread) to write the body until
  // it returns.
  virtual void Stream(const std::string& content_type,
                      std::function<void(const StreamWriter&)> produce) = 0;
};

using HttpHandler =
    std::function<void(const HttpRequest& request, HttpExchange& exchange)>;

class HttpServer {
 public:
  // kInvalidArgument for a bad address or unusable TLS files, kUnavailable
  // when the port cannot be bound. `handler` runs on the server's threads
  // and must be thread-safe.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpHandler handler);
  // Stops accepting and waits for the requests in flight: streams must be
  // told to end first.
  ~HttpServer();

  int port() const { return port_; }
  bool tls() const { return tls_; }

 private:
  HttpServer() = default;

  HttpHandler handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_HTTP_SERVER_H_
