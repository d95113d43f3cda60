#include "image/registry/reference.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::image::registry {
namespace {

using ::testing::HasSubstr;

const std::string kHex(64, 'a');

struct Case {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string familiar;
};

TEST(ReferenceTest, NormalisesAsDocker) {
  const Case cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "busybox:1.36"},
      {"user/app", "docker.io", "user/app", "latest", "user/app:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest",
       "busybox:latest"},
      {"index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1",
       "busybox:1"},
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest",
       "library/foo/bar:latest"},
      {"host:5000/x/y:tag", "host:5000", "x/y", "tag", "host:5000/x/y:tag"},
      {"localhost/x", "localhost", "x", "latest", "localhost/x:latest"},
      {"example.com/team/app:v1.2-rc_3", "example.com", "team/app", "v1.2-rc_3",
       "example.com/team/app:v1.2-rc_3"},
      {"127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest",
       "127.0.0.1:5000/a/b:latest"},
      {"[::1]:5000/x", "[::1]:5000", "x", "latest", "[::1]:5000/x:latest"},
      // An uppercase first component can only be a host name.
      {"Registry/app", "Registry", "app", "latest", "Registry/app:latest"},
      // Without a '/', "localhost:5000" is docker.io's library/localhost.
      {"localhost:5000", "docker.io", "library/localhost", "5000",
       "localhost:5000"},
      {"a__b/c-----d.e_f", "docker.io", "a__b/c-----d.e_f", "latest",
       "a__b/c-----d.e_f:latest"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Reference> r = Reference::Parse(c.input);
    ASSERT_TRUE(r.ok()) << c.input << ": " << r.status();
    EXPECT_EQ(r->domain(), c.domain) << c.input;
    EXPECT_EQ(r->path(), c.path) << c.input;
    EXPECT_EQ(r->tag(), c.tag) << c.input;
    EXPECT_FALSE(r->digest().has_value()) << c.input;
    EXPECT_EQ(r->Familiar(), c.familiar) << c.input;
    EXPECT_EQ(r->String(), c.domain + "/" + c.path + ":" + c.tag) << c.input;
  }
}

TEST(ReferenceTest, Digests) {
  absl::StatusOr<Reference> r = Reference::Parse("busybox@sha256:" + kHex);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tag(), "");
  ASSERT_TRUE(r->digest().has_value());
  EXPECT_EQ(r->digest()->hex(), kHex);
  EXPECT_EQ(r->ManifestId(), "sha256:" + kHex);
  EXPECT_EQ(r->Familiar(), "busybox@sha256:" + kHex);
  EXPECT_EQ(r->String(), "docker.io/library/busybox@sha256:" + kHex);

  r = Reference::Parse("host:5000/app:1.0@sha256:" + kHex);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->domain(), "host:5000");
  EXPECT_EQ(r->tag(), "1.0");
  EXPECT_EQ(r->ManifestId(), "sha256:" + kHex);  // the digest wins
  EXPECT_EQ(r->String(), "host:5000/app:1.0@sha256:" + kHex);
}

TEST(ReferenceTest, RegistryHostAndHelpers) {
  Reference hub = *Reference::Parse("busybox");
  EXPECT_EQ(hub.RegistryHost(), "registry-1.docker.io");
  EXPECT_EQ(hub.Name(), "docker.io/library/busybox");
  EXPECT_EQ(hub.ManifestId(), "latest");
  Reference local = *Reference::Parse("localhost:5000/x");
  EXPECT_EQ(local.RegistryHost(), "localhost:5000");
  EXPECT_EQ(local.WithTag("2").String(), "localhost:5000/x:2");
  EXPECT_EQ(local.Repository().String(), "localhost:5000/x");
  Digest d = *Digest::Parse("sha256:" + kHex);
  EXPECT_EQ(local.Repository().WithDigest(d).String(),
            "localhost:5000/x@sha256:" + kHex);
}

TEST(ReferenceTest, ParseRepository) {
  absl::StatusOr<Reference> r = Reference::ParseRepository("busybox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag(), "");
  EXPECT_EQ(r->String(), "docker.io/library/busybox");
  EXPECT_THAT(Reference::ParseRepository("busybox:1").status().message(),
              HasSubstr("a repository takes no tag"));
  EXPECT_EQ(Reference::ParseRepository("x@sha256:" + kHex).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReferenceTest, TagLength) {
  EXPECT_TRUE(Reference::Parse("a:" + std::string(128, 't')).ok());
  EXPECT_EQ(Reference::Parse("a:" + std::string(129, 't')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReferenceTest, RejectsWhatDockerRejects) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "the name is empty"},
      {"Busybox", "repository name must be lowercase"},
      {"user/App:1", "repository name must be lowercase"},
      {"busybox:", "a tag is up to 128"},
      {"busybox:-x", "a tag is up to 128"},
      {"busybox:a/b", "\"busybox:a\" is not a valid host"},
      {"a..b", "path component \"a..b\""},
      {"a___b", "path component \"a___b\""},
      {"a_-b", "path component \"a_-b\""},
      {"-a", "path component \"-a\""},
      {"a//b", "path component \"\""},
      {"busybox@sha256:abc", "64 lowercase hex"},
      {"busybox@sha256:" + std::string(64, 'A'), "64 lowercase hex"},
      {"busybox@md5:d41d8cd98f00b204e9800998ecf8427e", "only sha256"},
      {kHex, "64-character hexadecimal"},
      {"host:port/x", "\"host:port\" is not a valid host"},
      {"-bad.com/x", "is not a valid host"},
      {"example.com/" + std::string(250, 'a'), "longer than 255"},
  };
  for (const auto& [input, message] : cases) {
    absl::Status s = Reference::Parse(input).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << input;
    EXPECT_THAT(std::string(s.message()), HasSubstr(message)) << input;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("invalid reference \"" + input + "\""))
        << input;
  }
}

}  // namespace
}  // namespace farm::image::registry
