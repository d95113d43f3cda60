// HttpTestServer: a small HTTP/1.1 server on 127.0.0.1 for tests, one thread
// per connection, keep-alive, Content-Length and chunked request bodies. It
// stands in for token servers and fault-injecting registry fronts, so the
// client's real libcurl transport is what tests exercise.
#ifndef FARM_IMAGE_REGISTRY_TESTING_HTTP_TEST_SERVER_H_
#define FARM_IMAGE_REGISTRY_TESTING_HTTP_TEST_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "image/registry/http.h"

namespace farm::image::registry::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path and query as sent: "/v2/x?y=1"
  std::string path;    // without the query
  std::string query;   // without the '?'
  HttpHeaders headers;
  std::string body;
};

struct TestResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  // For HEAD: the Content-Length to announce (the body is not sent).
  int64_t head_length = -1;
};

class HttpTestServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  // Listens on 127.0.0.1 with a free port. `handler` is called from
  // connection threads, possibly at the same time.
  static absl::StatusOr<std::unique_ptr<HttpTestServer>> Start(Handler handler);
  // Stops accepting, closes connections and joins every thread.
  ~HttpTestServer();

  int port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"

 private:
  HttpTestServer(int fd, int port, Handler handler);
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_;
  int port_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mu_);
  std::set<int> open_fds_ ABSL_GUARDED_BY(mu_);
};

// Query parameter `name` of `query` ("a=1&b=2"), percent-decoded; all
// values when it repeats.
std::vector<std::string> QueryValues(const std::string& query,
                                     const std::string& name);

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_HTTP_TEST_SERVER_H_
