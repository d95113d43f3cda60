// FetchUrl under a FetchPolicy: the connections it opens, to the URL asked
// for and to every redirect, are refused unless the policy allows them.
#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/fetch/fetch_policy.h"
#include "image/fetch/testing/test_http_server.h"
#include "image/fetch/url_fetch.h"

namespace farm::image {
namespace {

using ::testing::HasSubstr;

class UrlFetchPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override { tmp_ = *MakeTempDir("url_fetch_policy"); }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }

  absl::StatusOr<FetchedFile> Fetch(const std::string& url,
                                    const FetchPolicy* policy,
                                    long max_redirects = 10) {
    FetchOptions options;
    options.policy = policy;
    options.max_redirects = max_redirects;
    return FetchUrl(url, dest(), options);
  }
  std::string dest() const { return tmp_ + "/download"; }

  std::string tmp_;
};

TEST_F(UrlFetchPolicyTest, LoopbackIsRefusedByDefault) {
  TestHttpServer server({{"/f", {200, "secret", {}}}});
  std::string url = server.Url("/f");
  FetchPolicy other_host({"localhost"});
  const FetchPolicy* policies[] = {nullptr, &other_host};
  for (const FetchPolicy* policy : policies) {
    absl::StatusOr<FetchedFile> f = Fetch(url, policy);
    EXPECT_EQ(f.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(f.status().message(),
              absl::StrCat(url,
                           " resolves to 127.0.0.1, a loopback address: the "
                           "farm fetches ADD URLs only from public addresses "
                           "unless farm-scheduler is started with "
                           "--allow-fetch-host 127.0.0.1 (for the embedded "
                           "farm: FARM_ALLOW_FETCH_HOSTS=127.0.0.1)"));
    EXPECT_FALSE(PathExists(dest()));
  }
  EXPECT_EQ(server.requests(), 0);  // refused before connecting
}

TEST_F(UrlFetchPolicyTest, ListedHostIsAllowed) {
  TestHttpServer server({{"/f", {200, "content", {}}}});
  FetchPolicy policy({"127.0.0.1"});
  absl::StatusOr<FetchedFile> f = Fetch(server.Url("/f"), &policy);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest()), "content");

  FetchPolicy all = FetchPolicy::AllowAll();
  f = Fetch(server.Url("/f"), &all);
  ASSERT_TRUE(f.ok()) << f.status();
}

TEST_F(UrlFetchPolicyTest, TheHostIsListedNotItsAddress) {
  TestHttpServer server({{"/f", {200, "content", {}}}});
  FetchPolicy policy({"LOCALHOST"});
  absl::StatusOr<FetchedFile> f = Fetch(server.Url("localhost", "/f"), &policy);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest()), "content");

  f = Fetch(server.Url("127.0.0.1", "/f"), &policy);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(f.status().message(), HasSubstr("--allow-fetch-host 127.0.0.1"));
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(UrlFetchPolicyTest, RedirectsAreCheckedHopByHop) {
  TestHttpServer server({{"/f", {200, "content", {}}}});
  std::string to_localhost = server.Url("localhost", "/f");
  std::string to_other = server.Url("127.0.0.2", "/f");
  TestHttpServer redirector(
      {{"/localhost", {302, "", {{"Location", to_localhost}}}},
       {"/other", {301, "", {{"Location", to_other}}}}});
  FetchPolicy policy({"127.0.0.1"});

  absl::StatusOr<FetchedFile> f = Fetch(redirector.Url("/localhost"), &policy);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(f.status().message(),
              HasSubstr(absl::StrCat("fetching ", redirector.Url("/localhost"),
                                     ": ", to_localhost, " resolves to ")));
  EXPECT_THAT(f.status().message(), HasSubstr("a loopback address"));
  EXPECT_THAT(f.status().message(), HasSubstr("--allow-fetch-host localhost"));
  EXPECT_FALSE(PathExists(dest()));

  f = Fetch(redirector.Url("/other"), &policy);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(f.status().message(),
              HasSubstr(absl::StrCat(to_other,
                                     " resolves to 127.0.0.2, a "
                                     "loopback address")));
  EXPECT_EQ(server.requests(), 0);
  EXPECT_EQ(redirector.requests(), 2);

  // Once the redirect's host is listed too, it is followed.
  FetchPolicy both({"127.0.0.1", "localhost"});
  f = Fetch(redirector.Url("/localhost"), &both);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest()), "content");
  EXPECT_EQ(f->file_name, "localhost");  // named after the URL asked for
}

TEST_F(UrlFetchPolicyTest, RedirectsOnlyToHttp) {
  TestHttpServer server(
      {{"/file", {302, "", {{"Location", "file:///etc/passwd"}}}},
       {"/ftp", {302, "", {{"Location", "ftp://127.0.0.1/etc/passwd"}}}},
       {"/gopher", {307, "", {{"Location", "gopher://127.0.0.1:70/"}}}}});
  FetchPolicy all = FetchPolicy::AllowAll();
  for (const char* path : {"/file", "/ftp", "/gopher"}) {
    absl::StatusOr<FetchedFile> f = Fetch(server.Url(path), &all);
    EXPECT_EQ(f.status().code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_THAT(f.status().message(),
                HasSubstr("which is not an http:// or https:// URL"));
    EXPECT_FALSE(PathExists(dest()));
  }
}

TEST_F(UrlFetchPolicyTest, TooManyRedirectsFail) {
  TestHttpServer server({{"/loop", {302, "a body", {{"Location", "/loop"}}}},
                         {"/once", {302, "", {{"Location", "/f"}}}},
                         {"/f", {200, "content", {}}}});
  FetchPolicy policy({"127.0.0.1"});
  absl::StatusOr<FetchedFile> f = Fetch(server.Url("/loop"), &policy, 3);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(f.status().message(), HasSubstr("more than 3 redirects"));
  EXPECT_FALSE(PathExists(dest()));
  EXPECT_EQ(server.requests(), 4);

  f = Fetch(server.Url("/once"), &policy, 0);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kUnavailable);
  f = Fetch(server.Url("/once"), &policy, 1);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest()), "content");  // not the redirect's body
}

TEST_F(UrlFetchPolicyTest, ProxyEnvironmentIsIgnored) {
  TestHttpServer proxy({});
  TestHttpServer server({{"/f", {200, "direct", {}}}});
  std::string proxy_url = proxy.Url("");
  setenv("http_proxy", proxy_url.c_str(), 1);
  setenv("all_proxy", proxy_url.c_str(), 1);
  FetchPolicy policy({"127.0.0.1"});
  absl::StatusOr<FetchedFile> f = Fetch(server.Url("/f"), &policy);
  unsetenv("http_proxy");
  unsetenv("all_proxy");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest()), "direct");
  EXPECT_EQ(proxy.requests(), 0);
}

}  // namespace
}  // namespace farm::image
