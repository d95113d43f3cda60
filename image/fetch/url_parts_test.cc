#include "image/fetch/url_parts.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::image {
namespace {

using ::testing::HasSubstr;

TEST(UrlPartsTest, SchemeAndHostAsCurlReadsThem) {
  struct Case {
    std::string url, scheme, host;
  } cases[] = {
      {"http://example.com:8080/a?b#c", "http", "example.com"},
      {"HTTPS://Example.COM/", "https", "Example.COM"},
      {"http://[::1]:80/", "http", "::1"},
      {"http://[fe80::1%25eth0]/", "http", "fe80::1"},
      {"http://127.1/", "http", "127.0.0.1"},
      {"http://0x7f.1/", "http", "127.0.0.1"},
      {"http://%6cocalhost/", "http", "localhost"},
      {"http://user:pw@host.test/", "http", "host.test"},
      {"file:///etc/passwd", "file", ""},
      {"ftp://127.0.0.1/x", "ftp", "127.0.0.1"},
      {"gopher://127.0.0.1:70/", "gopher", "127.0.0.1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<UrlParts> parts = ParseUrlParts(c.url);
    ASSERT_TRUE(parts.ok()) << c.url << ": " << parts.status();
    EXPECT_EQ(parts->scheme, c.scheme) << c.url;
    EXPECT_EQ(parts->host, c.host) << c.url;
  }
}

TEST(UrlPartsTest, UnparsableUrlsAreInvalidArguments) {
  for (const char* url : {"no scheme", "http://exa mple.com/", ""}) {
    absl::StatusOr<UrlParts> parts = ParseUrlParts(url);
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  EXPECT_THAT(ParseUrlParts("http://exa mple.com/").status().message(),
              HasSubstr("\"http://exa mple.com/\" is not a valid URL"));
}

}  // namespace
}  // namespace farm::image
