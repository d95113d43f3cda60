#include "image/oci/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::image::oci {
namespace {

using ::testing::HasSubstr;

constexpr char kDiff1[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

// A config as Docker 24 writes it (keys in Go struct order, extra fields).
constexpr char kDockerConfig[] =
    R"({
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "User": "app",
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "Env": ["PATH=/usr/bin:/bin", "A=b c"],
    "Cmd": ["/bin/sh", "-c", "serve"],
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000,
                    "Retries": 3},
    "ArgsEscaped": true,
    "Volumes": {"/data": {}},
    "WorkingDir": "/srv",
    "Entrypoint": null,
    "OnBuild": null,
    "Labels": {"org.example": "x"},
    "StopSignal": "SIGTERM",
    "Shell": ["/bin/bash", "-c"]
  },
  "container": "0123abcd",
  "created": "2023-05-06T07:08:09.123456789Z",
  "docker_version": "24.0.5",
  "history": [
    {"created": "2023-05-06T07:08:09Z", "created_by": "/bin/sh -c #(nop) ADD file:x in /"},
    {"created": "2023-05-06T07:08:09.5+02:00", "created_by": "ENV A=b c",
     "comment": "buildkit.dockerfile.v0", "empty_layer": true}
  ],
  "os": "linux",
  "rootfs": {"type": "layers", "diff_ids": [")"
    "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    R"("]}
})";

TEST(ImageConfigTest, ParsesDockerConfig) {
  absl::StatusOr<ImageConfig> c = ImageConfig::Parse(kDockerConfig);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->config.user, "app");
  EXPECT_THAT(c->config.exposed_ports,
              ::testing::ElementsAre("443/tcp", "80/tcp"));
  EXPECT_THAT(c->config.env,
              ::testing::ElementsAre("PATH=/usr/bin:/bin", "A=b c"));
  EXPECT_TRUE(c->config.entrypoint.empty());
  EXPECT_TRUE(c->config.args_escaped);
  ASSERT_TRUE(c->config.healthcheck.has_value());
  EXPECT_EQ(c->config.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(c->config.healthcheck->retries, 3);
  EXPECT_EQ(c->config.stop_signal, "SIGTERM");
  EXPECT_EQ(c->config.labels.at("org.example"), "x");
  ASSERT_EQ(c->diff_ids.size(), 1u);
  EXPECT_EQ(c->diff_ids[0].ToString(), kDiff1);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->history[1].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(*c->history[1].created,
            absl::FromUnixMillis(1683349689500));  // 05:08:09.5Z
  EXPECT_EQ(c->extra["docker_version"], "24.0.5");
  EXPECT_EQ(c->config.extra["Hostname"], "");
}

TEST(ImageConfigTest, EncodingIsCanonicalAndStable) {
  ImageConfig c = *ImageConfig::Parse(kDockerConfig);
  std::string once = c.ToJson();
  ImageConfig again = *ImageConfig::Parse(once);
  EXPECT_EQ(again.ToJson(), once);
  // Keys sorted, no whitespace, nanoseconds kept, UTC with Z, nulls gone.
  EXPECT_THAT(once, HasSubstr(R"("created":"2023-05-06T07:08:09.123456789Z")"));
  EXPECT_THAT(once, HasSubstr(R"("created":"2023-05-06T05:08:09.5Z")"));
  EXPECT_THAT(once, HasSubstr(R"("ExposedPorts":{"443/tcp":{},"80/tcp":{}})"));
  EXPECT_THAT(once, ::testing::Not(HasSubstr("Entrypoint")));
  EXPECT_THAT(once, ::testing::Not(HasSubstr("OnBuild")));
  EXPECT_THAT(once, ::testing::Not(HasSubstr("\": ")));
  EXPECT_THAT(once, ::testing::Not(HasSubstr(", \"")));
  EXPECT_EQ(once.find("\"architecture\""), 1u);
  EXPECT_THAT(once, HasSubstr(R"("docker_version":"24.0.5")"));
}

TEST(ImageConfigTest, OmitsEmptyFieldsLikeDocker) {
  ImageConfig c;
  c.architecture = "arm64";
  c.os = "linux";
  c.history.push_back(History{});
  c.history[0].created_by = "RUN true";
  EXPECT_EQ(c.ToJson(), R"({"architecture":"arm64","config":{},"history":[)"
                        R"({"created_by":"RUN true"}],"os":"linux",)"
                        R"("rootfs":{"diff_ids":[],"type":"layers"}})");
}

TEST(ImageConfigTest, ErrorsNameTheField) {
  struct Case {
    std::string json;
    std::string message;
  };
  std::vector<Case> cases = {
      {"[1]", "image config: want a JSON object, got array"},
      {"{", "image config: invalid JSON"},
      {R"({"os":"linux","rootfs":{"type":"layers"}})",
       "image config: field architecture: missing"},
      {R"({"architecture":1,"os":"linux","rootfs":{"type":"layers"}})",
       "image config: field architecture: want a string"},
      {R"({"architecture":"a","os":"linux"})",
       "image config: field rootfs: missing"},
      {R"({"architecture":"a","os":"linux","rootfs":{"type":"x"}})",
       "image config: field rootfs.type: want \"layers\", got \"x\""},
      {R"({"architecture":"a","os":"linux","rootfs":{"type":"layers",)"
       R"("diff_ids":["sha256:zz"]}})",
       "image config: field rootfs.diff_ids[0]:"},
      {R"({"architecture":"a","os":"linux","rootfs":{"type":"layers"},)"
       R"("config":{"Env":["a",2]}})",
       "image config: field config.Env[1]: want a string"},
      {R"({"architecture":"a","os":"linux","rootfs":{"type":"layers"},)"
       R"("history":[{"created":"yesterday"}]})",
       "image config: field history[0].created: not an RFC 3339 time"},
      {R"({"architecture":"a","os":"linux","rootfs":{"type":"layers"},)"
       R"("config":{"Healthcheck":{"Retries":"3"}}})",
       "image config: field config.Healthcheck.Retries: want an integer"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ImageConfig> r = ImageConfig::Parse(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(Rfc3339Test, FormatsLikeGo) {
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(0)),
            "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixNanos(1500000000)),
            "1970-01-01T00:00:01.5Z");
}

TEST(WithLabelsTest, SetsOverTheConfigsOwnAndKeepsBytesWithout) {
  const std::string json =
      R"({"architecture":"amd64","os":"linux","config":{"Labels":{"a":"1","b":"2"}},)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})";
  absl::StatusOr<std::string> same = WithLabels(json, {});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, json);
  absl::StatusOr<std::string> labelled = WithLabels(json, {{"b", "x"}, {"c", ""}});
  ASSERT_TRUE(labelled.ok()) << labelled.status();
  absl::StatusOr<ImageConfig> config = ImageConfig::Parse(*labelled);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->config.labels,
            (std::map<std::string, std::string>{{"a", "1"}, {"b", "x"}, {"c", ""}}));
  EXPECT_FALSE(WithLabels("not json", {{"a", "b"}}).ok());
}

}  // namespace
}  // namespace farm::image::oci
