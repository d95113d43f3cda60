#include "dashboard/http_server.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "auth/tls/testing/test_pki.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dashboard {
namespace {

using ::testing::HasSubstr;

struct Fetched {
  long status = 0;
  std::string headers;
  std::string body;
  CURLcode code = CURLE_OK;
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct TlsFiles {
  std::string ca, cert, key;
};

Fetched Fetch(const std::string& url, const TlsFiles* tls = nullptr,
              const std::string& post = "") {
  Fetched fetched;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &fetched.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &fetched.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  if (!post.empty()) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post.c_str());
  if (tls != nullptr) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca.c_str());
    if (!tls->cert.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->cert.c_str());
      curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->key.c_str());
    }
  }
  fetched.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &fetched.status);
  curl_easy_cleanup(curl);
  return fetched;
}

// Answers with what it was asked, as JSON-ish text.
void Echo(const HttpRequest& request, HttpExchange& exchange) {
  if (request.path == "/stream") {
    exchange.Stream("text/event-stream", [](const StreamWriter& write) {
      for (int i = 0; i < 3; ++i) write(absl::StrCat("data: ", i, "\n\n"));
    });
    return;
  }
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = absl::StrCat(
      request.method, " ", request.path,
      " q=", request.query.count("q") ? request.query.at("q") : "",
      " secure=", request.secure,
      " cert=", request.client_certificate_pem.empty() ? "none" : "yes",
      " body=", request.body);
  response.headers.push_back({"X-Test", "1"});
  exchange.Send(response);
}

TEST(HttpServerTest, ServesRequestsAndStreams) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start({"127.0.0.1:0"}, Echo);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  const std::string base = absl::StrCat("http://127.0.0.1:", (*server)->port());
  Fetched got = Fetch(base + "/api/x?q=a%20b&other=1");
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "GET /api/x q=a b secure=0 cert=none body=");
  EXPECT_THAT(got.headers, HasSubstr("X-Test: 1"));
  EXPECT_THAT(got.headers, HasSubstr("X-Frame-Options: DENY"));
  EXPECT_THAT(got.headers, HasSubstr("Content-Security-Policy: default-src"));

  got = Fetch(base + "/login", nullptr, R"({"token":"t"})");
  EXPECT_EQ(got.body,
            R"(POST /login q= secure=0 cert=none body={"token":"t"})");

  got = Fetch(base + "/stream");
  EXPECT_EQ(got.body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  EXPECT_THAT(got.headers, HasSubstr("text/event-stream"));
}

TEST(HttpServerTest, RefusesBadAddressesAndTakenPorts) {
  EXPECT_EQ(HttpServer::Start({"no-port"}, Echo).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<HttpServer>> first =
      HttpServer::Start({"127.0.0.1:0"}, Echo);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start({absl::StrCat("127.0.0.1:", (*first)->port())}, Echo);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpServerTest, HttpsWithTheFarmsCertificateAndClientCertificates) {
  absl::StatusOr<std::string> dir = MakeTempDir("dashboard-tls");
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<auth::testing::TestPki> pki = auth::testing::MakeTestPki(*dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert = pki->server_a.cert;
  options.tls_key = pki->server_a.key;
  options.tls_client_ca = pki->ca_a;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->tls());
  const std::string url =
      absl::StrCat("https://127.0.0.1:", (*server)->port(), "/x");

  TlsFiles browser{pki->ca_a, "", ""};
  Fetched got = Fetch(url, &browser);
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.body, "GET /x q= secure=1 cert=none body=");

  TlsFiles admin{pki->ca_a, pki->client_admin.cert, pki->client_admin.key};
  got = Fetch(url, &admin);
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.body, "GET /x q= secure=1 cert=yes body=");

  // A certificate from another CA is refused during the handshake.
  TlsFiles stranger{pki->ca_a, pki->client_other_ca.cert,
                    pki->client_other_ca.key};
  EXPECT_NE(Fetch(url, &stranger).code, CURLE_OK);
  // Plain HTTP gets nothing from the HTTPS port.
  EXPECT_NE(
      Fetch(absl::StrCat("http://127.0.0.1:", (*server)->port(), "/x")).status,
      200);
  RemoveAll(*dir).IgnoreError();
}

TEST(HttpServerTest, UnreadableCertificatesAreAClearError) {
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, Echo);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("/nonexistent/cert.pem"));
}

}  // namespace
}  // namespace farm::dashboard
