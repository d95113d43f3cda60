// TestHttpServer: a one-thread HTTP/1.1 server on 127.0.0.1:0 answering GETs
// from a table, for the tests of FetchUrl. Requests whose path is not in the
// table get 404.
#ifndef FARM_IMAGE_FETCH_TESTING_TEST_HTTP_SERVER_H_
#define FARM_IMAGE_FETCH_TESTING_TEST_HTTP_SERVER_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::image {

class TestHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  explicit TestHttpServer(std::map<std::string, Response> routes);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(absl::string_view path) const {
    return Url("127.0.0.1", path);
  }
  // "http://<host>:<port><path>": another name for this server, such as
  // "localhost".
  std::string Url(absl::string_view host, absl::string_view path) const;
  // Requests answered so far.
  int requests() const { return requests_; }

 private:
  void Serve();
  void Answer(int connection);

  const std::map<std::string, Response> routes_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace farm::image

#endif  // FARM_IMAGE_FETCH_TESTING_TEST_HTTP_SERVER_H_
