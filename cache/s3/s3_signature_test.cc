// libcurl signs every request farm sends to an object store. These tests
// check what it signs: the signature of Amazon's published example, and
// that the payload hash farm names is the one sent and signed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cache/s3/s3_transport.h"
#include "gtest/gtest.h"

namespace farm::cache::s3 {
namespace {

// Accepts one connection on loopback, keeps the request's head, and answers
// `reply`.
class OneRequestListener {
 public:
  explicit OneRequestListener(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneRequestListener() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  // The request line and headers, once the answer went out.
  std::string Head() {
    thread_.join();
    thread_ = std::thread([] {});
    return head_;
  }

 private:
  void Serve() {
    int client = accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    char buf[4096];
    while (!absl::StrContains(head_, "\r\n\r\n")) {
      ssize_t n = read(client, buf, sizeof(buf));
      if (n <= 0) break;
      head_.append(buf, n);
    }
    write(client, reply_.data(), reply_.size());
    close(client);
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::string head_;
  std::thread thread_;
};

// The header's value, "" if absent.
std::string HeaderOf(const std::string& head, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    if (absl::StartsWithIgnoreCase(line, absl::StrCat(name, ":"))) {
      return std::string(
          absl::StripAsciiWhitespace(line.substr(name.size() + 1)));
    }
  }
  return "";
}

// Amazon's "Example: GET Object" of "Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk (AWS
// Signature Version 4)": its credentials, date, range and expected header.
TEST(S3SignatureTest, MatchesAmazonsPublishedGetObjectExample) {
  OneRequestListener listener(
      "HTTP/1.1 206 Partial Content\r\nContent-Length: 0\r\n\r\n");
  S3Options options;
  options.endpoint = "http://s3.amazonaws.com";
  options.bucket = "examplebucket";
  options.virtual_hosted = true;
  options.connect_to = absl::StrCat(
      "examplebucket.s3.amazonaws.com:80:127.0.0.1:", listener.port());
  options.region = "us-east-1";
  options.access_key = "AKIAIOSFODNN7EXAMPLE";
  options.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  options.fixed_amz_date = "20130524T000000Z";
  S3Transport transport(options);
  S3Request request;
  request.key = "test.txt";
  request.range = "bytes=0-9";
  absl::StatusOr<S3Response> answer = transport.Send(request);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 206);
  std::string head = listener.Head();
  EXPECT_TRUE(absl::StartsWith(head, "GET /test.txt HTTP/1.1\r\n")) << head;
  EXPECT_EQ(HeaderOf(head, "Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(HeaderOf(head, "Authorization"),
            "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature="
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SignatureTest, PutSignsTheBlobsDigestAsItsPayloadHash) {
  OneRequestListener listener("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  S3Options options;
  options.endpoint = absl::StrCat("http://127.0.0.1:", listener.port());
  options.bucket = "farm";
  options.access_key = "farm:tester";  // a ':' in the key, as Swift's
  options.secret_key = "testing";
  S3Transport transport(options);
  S3Request request;
  request.method = "PUT";
  request.key = "cas/sha256/ab";
  request.body = "hello";
  request.body_size = 5;
  request.content_sha256 =
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  absl::StatusOr<S3Response> answer = transport.Send(request);
  ASSERT_TRUE(answer.ok()) << answer.status();
  std::string head = listener.Head();
  EXPECT_TRUE(absl::StartsWith(head, "PUT /farm/cas/sha256/ab HTTP/1.1"))
      << head;
  EXPECT_EQ(HeaderOf(head, "x-amz-content-sha256"), request.content_sha256);
  std::string authorization = HeaderOf(head, "Authorization");
  EXPECT_TRUE(absl::StartsWith(authorization,
                               "AWS4-HMAC-SHA256 Credential=farm:tester/"))
      << authorization;
  EXPECT_TRUE(absl::StrContains(authorization,
                                "/us-east-1/s3/aws4_request, SignedHeaders="
                                "host;x-amz-content-sha256;x-amz-date, "))
      << authorization;
}

TEST(S3SignatureTest, UnreachableStoreIsUnavailable) {
  int port;
  {
    OneRequestListener listener("");
    port = listener.port();
  }  // closed: nothing listens there now
  S3Options options;
  options.endpoint = absl::StrCat("http://127.0.0.1:", port);
  options.bucket = "farm";
  options.access_key = "a";
  options.secret_key = "b";
  S3Transport transport(options);
  S3Request request;
  request.method = "HEAD";
  request.key = "x";
  absl::StatusOr<S3Response> answer = transport.Send(request);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable)
      << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), options.endpoint));
}

}  // namespace
}  // namespace farm::cache::s3
