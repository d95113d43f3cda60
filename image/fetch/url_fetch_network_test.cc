// FetchUrl under the default policy against a real public host. Skips when
// this machine cannot resolve or reach it.
#include <netdb.h>
#include <sys/socket.h>

#include <string>

#include "absl/strings/match.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "image/fetch/url_fetch.h"

namespace farm::image {
namespace {

constexpr char kHost[] = "deb.debian.org";
constexpr char kUrl[] = "http://deb.debian.org/debian/dists/bookworm/Release";

bool Resolves(const char* host) {
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host, "80", &hints, &result) != 0) return false;
  freeaddrinfo(result);
  return true;
}

TEST(UrlFetchNetworkTest, DefaultPolicyFetchesFromAPublicHost) {
  if (!Resolves(kHost)) GTEST_SKIP() << kHost << " does not resolve here";
  std::string tmp = *MakeTempDir("url_fetch_network");
  std::string dest = tmp + "/Release";
  absl::StatusOr<FetchedFile> f = FetchUrl(kUrl, dest);  // default policy
  if (f.status().code() == absl::StatusCode::kUnavailable) {
    ASSERT_TRUE(RemoveAll(tmp).ok());
    GTEST_SKIP() << "network unavailable: " << f.status();
  }
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_GT(f->size, 0u);
  EXPECT_TRUE(absl::StartsWith(*ReadFile(dest), "Origin: Debian"));
  EXPECT_EQ(f->file_name, "Release");
  ASSERT_TRUE(RemoveAll(tmp).ok());
}

}  // namespace
}  // namespace farm::image
