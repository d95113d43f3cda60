#include "image/fetch/testing/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace farm::image {

TestHttpServer::TestHttpServer(std::map<std::string, Response> routes)
    : routes_(std::move(routes)) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  EXPECT_EQ(listen(fd_, 16), 0);
  thread_ = std::thread([this] { Serve(); });
}

TestHttpServer::~TestHttpServer() {
  shutdown(fd_, SHUT_RDWR);  // wakes accept()
  thread_.join();
  close(fd_);
}

std::string TestHttpServer::Url(absl::string_view host,
                                absl::string_view path) const {
  return absl::StrCat("http://", host, ":", port_, path);
}

void TestHttpServer::Serve() {
  while (true) {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    Answer(c);
    close(c);
  }
}

void TestHttpServer::Answer(int connection) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = read(connection, buf, sizeof(buf));
    if (n <= 0) break;
    request.append(buf, n);
  }
  ++requests_;
  std::vector<std::string> first =
      absl::StrSplit(request.substr(0, request.find("\r\n")), ' ');
  Response r{404, "no such page", {}};
  if (first.size() >= 2) {
    auto it = routes_.find(first[1]);
    if (it != routes_.end()) r = it->second;
  }
  std::string out = absl::StrCat("HTTP/1.1 ", r.status, " Status\r\n",
                                 "Content-Length: ", r.body.size(),
                                 "\r\nConnection: close\r\n");
  for (const auto& [k, v] : r.headers)
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  absl::StrAppend(&out, "\r\n", r.body);
  for (size_t off = 0; off < out.size();) {
    ssize_t n = write(connection, out.data() + off, out.size() - off);
    if (n <= 0) break;
    off += n;
  }
}

}  // namespace farm::image
