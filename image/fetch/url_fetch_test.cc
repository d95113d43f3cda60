#include "image/fetch/url_fetch.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/fetch/fetch_policy.h"
#include "image/fetch/testing/test_http_server.h"

namespace farm::image {
namespace {

using ::testing::HasSubstr;

class UrlFetchTest : public ::testing::Test {
 protected:
  void SetUp() override { tmp_ = *MakeTempDir("url_fetch"); }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }
  // Options under which the test servers, on 127.0.0.1, may be reached.
  FetchOptions Loopback() const {
    FetchOptions options;
    options.policy = &loopback_;
    return options;
  }
  std::string tmp_;
  const FetchPolicy loopback_{{"127.0.0.1"}};
};

TEST_F(UrlFetchTest, DownloadsFollowingRedirectsWithChecksumAndMtime) {
  TestHttpServer server(
      {{"/files/tool.tar.gz",
        {200, "payload", {{"Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"}}}},
       {"/latest", {302, "", {{"Location", "/files/tool.tar.gz"}}}}});
  FetchOptions options = Loopback();
  options.checksum = Digest::Of("payload").ToString();
  std::string dest = tmp_ + "/download";
  absl::StatusOr<FetchedFile> f =
      FetchUrl(server.Url("/latest"), dest, options);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*ReadFile(dest), "payload");
  EXPECT_EQ(f->digest, Digest::Of("payload"));
  EXPECT_EQ(f->size, 7u);
  EXPECT_EQ(f->file_name, "latest");  // named after the URL asked for
  ASSERT_TRUE(f->last_modified.has_value());
  EXPECT_EQ(*f->last_modified, 1445412480);
  struct stat st;
  ASSERT_EQ(stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtime, 1445412480);
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(UrlFetchTest, ChecksumMismatchIsDataLossAndLeavesNoFile) {
  TestHttpServer server({{"/f", {200, "actual", {}}}});
  FetchOptions options = Loopback();
  options.checksum = Digest::Of("expected").ToString();
  std::string dest = tmp_ + "/f";
  absl::StatusOr<FetchedFile> f = FetchUrl(server.Url("/f"), dest, options);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(f.status().message(), HasSubstr(server.Url("/f")));
  EXPECT_THAT(f.status().message(), HasSubstr(Digest::Of("actual").ToString()));
  EXPECT_FALSE(PathExists(dest));
  EXPECT_FALSE(f.ok());

  options.checksum = "md5:abc";
  f = FetchUrl(server.Url("/f"), dest, options);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("sha256"));
}

TEST_F(UrlFetchTest, HttpErrorsNameTheUrlAndStatus) {
  TestHttpServer server(
      {{"/boom", {503, "down", {}}}, {"/private", {403, "no", {}}}});
  std::string dest = tmp_ + "/x";
  struct C {
    std::string path;
    absl::StatusCode code;
    std::string status;
  } cases[] = {{"/missing", absl::StatusCode::kNotFound, "404"},
               {"/boom", absl::StatusCode::kUnavailable, "503"},
               {"/private", absl::StatusCode::kPermissionDenied, "403"}};
  for (const C& c : cases) {
    absl::StatusOr<FetchedFile> f =
        FetchUrl(server.Url(c.path), dest, Loopback());
    EXPECT_EQ(f.status().code(), c.code) << c.path;
    EXPECT_THAT(f.status().message(), HasSubstr(server.Url(c.path)));
    EXPECT_THAT(f.status().message(), HasSubstr("HTTP status " + c.status));
    EXPECT_FALSE(PathExists(dest));
  }
}

TEST_F(UrlFetchTest, RefusesWhatItCannotFetch) {
  int port;
  {
    TestHttpServer gone({});
    port = gone.port();
  }
  std::string url = absl::StrCat("http://127.0.0.1:", port, "/x");
  absl::StatusOr<FetchedFile> f = FetchUrl(url, tmp_ + "/x", Loopback());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(f.status().message(), HasSubstr(url));

  f = FetchUrl("ftp://example.com/x", tmp_ + "/x");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);

  TestHttpServer big({{"/big", {200, std::string(5000, 'b'), {}}}});
  FetchOptions options = Loopback();
  options.max_bytes = 1000;
  f = FetchUrl(big.Url("/big"), tmp_ + "/x", options);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(PathExists(tmp_ + "/x"));
}

TEST(UrlNamesTest, FileNamesAndSourceKinds) {
  EXPECT_EQ(UrlFileName("https://example.com/a/b/tool.tgz"), "tool.tgz");
  EXPECT_EQ(UrlFileName("https://example.com/a/b/?q=1#f"), "b");
  EXPECT_EQ(UrlFileName("https://example.com/dl/my%20file.txt?x"),
            "my file.txt");
  EXPECT_EQ(UrlFileName("https://example.com"), "__unnamed__");
  EXPECT_EQ(UrlFileName("https://example.com/"), "__unnamed__");
  EXPECT_TRUE(IsUrl("http://x/y"));
  EXPECT_TRUE(IsUrl("https://x/y"));
  EXPECT_FALSE(IsUrl("ftp://x/y"));
  EXPECT_FALSE(IsUrl("local/http://x"));
  EXPECT_TRUE(IsGitSource("git@github.com:moby/buildkit.git"));
  EXPECT_TRUE(IsGitSource("https://github.com/moby/buildkit.git#v0.8"));
  EXPECT_TRUE(IsGitSource("git://host/repo"));
  EXPECT_FALSE(IsGitSource("https://example.com/file.tar.gz"));
}

}  // namespace
}  // namespace farm::image
