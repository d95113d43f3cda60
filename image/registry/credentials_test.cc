#include "image/registry/credentials.h"

#include <sys/stat.h>

#include <cstdlib>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/insecure_registries.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

using ::testing::HasSubstr;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = *MakeTempDir("creds"); }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }
  std::string dir_;
};

TEST_F(CredentialsTest, ReadsDockerConfigKeyForms) {
  // "dXNlcjpwYTpzcw==" is base64 of "user:pa:ss".
  std::string path = dir_ + "/config.json";
  ASSERT_TRUE(WriteFile(path, R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": "dXNlcjpwYTpzcw=="},
      "http://registry.example:5000/v1/": {"auth": "YTpi"},
      "plain.example": {"username": "u", "password": "p"},
      "helper.example": {}
    },
    "credsStore": "desktop"
  })")
                  .ok());
  ConfigFileCredentialStore store(path);
  std::optional<Credential> hub = *store.Get("docker.io");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->username, "user");
  EXPECT_EQ(hub->password, "pa:ss");
  std::optional<Credential> r = *store.Get("registry.example:5000");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->username, "a");
  EXPECT_EQ(r->password, "b");
  EXPECT_EQ(store.Get("plain.example")->value().password, "p");
  EXPECT_FALSE(store.Get("helper.example")->has_value());
  EXPECT_FALSE(store.Get("registry.example")->has_value());
  EXPECT_FALSE(
      ConfigFileCredentialStore(dir_ + "/missing.json").Get("x")->has_value());
}

TEST_F(CredentialsTest, StoreKeepsOtherFieldsAndErases) {
  std::string path = dir_ + "/sub/config.json";
  ASSERT_TRUE(MakeDirs(dir_ + "/sub").ok());
  ASSERT_TRUE(WriteFile(path, R"({"auths":{"http://h:1/v1/":{"auth":"eDp5"}},
                                  "insecure-registries":["h:1"]})")
                  .ok());
  ConfigFileCredentialStore store(path);
  ASSERT_TRUE(store.Store("h:1", {"new", "secret"}).ok());
  ASSERT_TRUE(store.Store("docker.io", {"hub", "pw"}).ok());
  EXPECT_EQ(store.Get("h:1")->value().username, "new");

  nlohmann::json j = nlohmann::json::parse(*ReadFile(path));
  EXPECT_EQ(j["insecure-registries"][0], "h:1");
  EXPECT_EQ(j["auths"].size(), 2u);  // the old "http://h:1/v1/" key is gone
  EXPECT_EQ(j["auths"]["h:1"]["auth"], "bmV3OnNlY3JldA==");
  EXPECT_EQ(j["auths"]["https://index.docker.io/v1/"]["auth"], "aHViOnB3");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  ASSERT_TRUE(store.Erase("docker.io").ok());
  EXPECT_FALSE(store.Get("docker.io")->has_value());
  absl::Status again = store.Erase("docker.io");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("not logged in to docker.io"));
}

TEST_F(CredentialsTest, BrokenFilesAreNamed) {
  std::string path = dir_ + "/config.json";
  ASSERT_TRUE(WriteFile(path, "{not json").ok());
  absl::Status s = ConfigFileCredentialStore(path).Get("x").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  ASSERT_TRUE(WriteFile(path, R"({"auths":{"x":{"auth":"!!!"}}})").ok());
  s = ConfigFileCredentialStore(path).Get("x").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("not base64 of user:password"));
}

TEST_F(CredentialsTest, ChainPrefersFarmAndWritesThere) {
  auto farm = std::make_shared<ConfigFileCredentialStore>(dir_ + "/farm.json");
  auto docker =
      std::make_shared<ConfigFileCredentialStore>(dir_ + "/docker.json");
  ASSERT_TRUE(docker->Store("h", {"docker-user", "1"}).ok());
  ChainedCredentialStore chain({farm, docker});
  EXPECT_EQ(chain.Get("h")->value().username, "docker-user");
  ASSERT_TRUE(chain.Store("h", {"farm-user", "2"}).ok());
  EXPECT_EQ(chain.Get("h")->value().username, "farm-user");
  EXPECT_EQ(docker->Get("h")->value().username, "docker-user");
  ASSERT_TRUE(chain.Erase("h").ok());
  EXPECT_EQ(chain.Get("h")->value().username, "docker-user");
}

TEST_F(CredentialsTest, PathsFollowTheEnvironment) {
  setenv("DOCKER_CONFIG", "/tmp/dc", 1);
  setenv("FARM_CONFIG", "/tmp/fc", 1);
  EXPECT_EQ(DockerConfigPath(), "/tmp/dc/config.json");
  EXPECT_EQ(FarmConfigPath(), "/tmp/fc/config.json");
  unsetenv("DOCKER_CONFIG");
  unsetenv("FARM_CONFIG");
  setenv("HOME", "/home/x", 1);
  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  EXPECT_EQ(DockerConfigPath(), "/home/x/.docker/config.json");
  EXPECT_EQ(FarmConfigPath(), "/xdg/farm/config.json");
  unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(FarmConfigPath(), "/home/x/.config/farm/config.json");
  EXPECT_EQ(CredentialKey("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(CredentialKey("h:5000"), "h:5000");
}

TEST(InsecureRegistriesTest, LoopbackAlwaysOthersWhenListed) {
  InsecureRegistries none;
  for (const char* h : {"localhost", "localhost:5000", "127.0.0.1:5000",
                        "127.1.2.3", "[::1]:5000", "::1"}) {
    EXPECT_TRUE(none.Allows(h)) << h;
  }
  for (const char* h : {"docker.io", "10.1.2.3:5000", "registry.lan"}) {
    EXPECT_FALSE(none.Allows(h)) << h;
  }
  InsecureRegistries some = *InsecureRegistries::Parse(
      {"registry.lan:5000", "plain.lan", "10.0.0.0/8", "fd00::/8"});
  EXPECT_TRUE(some.Allows("registry.lan:5000"));
  EXPECT_FALSE(some.Allows("registry.lan:5001"));
  EXPECT_TRUE(some.Allows("plain.lan:443"));
  EXPECT_TRUE(some.Allows("10.200.0.1:5000"));
  EXPECT_FALSE(some.Allows("11.0.0.1:5000"));
  EXPECT_TRUE(some.Allows("[fd12::1]:5000"));
  EXPECT_FALSE(some.Allows("[fe80::1]:5000"));
}

TEST(InsecureRegistriesTest, BadEntriesAndConfigFile) {
  absl::Status s = InsecureRegistries::Parse({"http://x"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("without a scheme"));
  s = InsecureRegistries::Parse({"10.0.0.0/33"}).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("10.0.0.0/33"));

  std::string dir = *MakeTempDir("insecure");
  std::string path = dir + "/config.json";
  ASSERT_TRUE(WriteFile(path, R"({"insecure-registries":["lan:5000"]})").ok());
  InsecureRegistries loaded = *InsecureRegistries::Load(path, {"flag.lan"});
  EXPECT_TRUE(loaded.Allows("lan:5000"));
  EXPECT_TRUE(loaded.Allows("flag.lan"));
  EXPECT_FALSE(loaded.Allows("other.lan"));
  ASSERT_TRUE(WriteFile(path, R"({"insecure-registries":"lan"})").ok());
  s = InsecureRegistries::Load(path).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("must be a list of strings"));
  ASSERT_TRUE(RemoveAll(dir).ok());
}

// A docker-credential-<name> program in a directory put first on PATH.
class CredentialHelperTest : public CredentialsTest {
 protected:
  void SetUp() override {
    CredentialsTest::SetUp();
    const char* path = std::getenv("PATH");
    old_path_ = path == nullptr ? "" : path;
    setenv("PATH", (dir_ + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    CredentialsTest::TearDown();
  }
  void Helper(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/docker-credential-" + name;
    ASSERT_TRUE(WriteFile(path, "#!/bin/sh\n" + body, 0755).ok());
  }
  std::string old_path_;
};

TEST_F(CredentialHelperTest, RunsTheRegistrysHelperElseTheDefaultOne) {
  // Each helper answers with the server URL it read on stdin.
  Helper("ecr", R"(test "$1" = get || exit 3
read url
printf '{"ServerURL":"%s","Username":"AWS","Secret":"ecr-%s"}\n' "$url" "$url"
)");
  Helper("store", R"(read url
case "$url" in
  *known*) printf '{"Username":"u","Secret":"from-store"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)");
  std::string path = dir_ + "/config.json";
  ASSERT_TRUE(WriteFile(path, R"({
    "auths": {"inline.example": {"auth": "YTpi"}},
    "credHelpers": {"123.ecr.example:5000": "ecr", "inline.example": "ecr"},
    "credsStore": "store"
  })")
                  .ok());
  ConfigFileCredentialStore store(path);
  absl::StatusOr<std::optional<Credential>> ecr =
      store.Get("123.ecr.example:5000");
  ASSERT_TRUE(ecr.ok()) << ecr.status();
  ASSERT_TRUE(ecr->has_value());
  EXPECT_EQ((*ecr)->username, "AWS");
  EXPECT_EQ((*ecr)->password, "ecr-123.ecr.example:5000");
  // Docker Hub goes by Docker's key.
  Helper("ecr", "read url; printf '{\"Username\":\"hub\",\"Secret\":\"%s\"}' \"$url\"\n");
  ASSERT_TRUE(WriteFile(path, R"({"credHelpers": {"docker.io": "ecr"}})").ok());
  EXPECT_EQ(store.Get("docker.io")->value().password,
            "https://index.docker.io/v1/");
  ASSERT_TRUE(WriteFile(path, R"({
    "auths": {"inline.example": {"auth": "YTpi"}},
    "credsStore": "store"
  })")
                  .ok());
  // An inline credential wins; the default helper answers the rest.
  EXPECT_EQ(store.Get("inline.example")->value().password, "b");
  EXPECT_EQ(store.Get("known.example")->value().password, "from-store");
  absl::StatusOr<std::optional<Credential>> unknown =
      store.Get("other.example");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(CredentialHelperTest, BrokenOrMissingHelpers) {
  std::string path = dir_ + "/config.json";
  ConfigFileCredentialStore store(path);
  Helper("broken", "echo 'keychain locked'; exit 2\n");
  ASSERT_TRUE(WriteFile(path, R"({"credsStore": "broken"})").ok());
  absl::StatusOr<std::optional<Credential>> broken = store.Get("h.example");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(broken.status().message(), HasSubstr("keychain locked"));
  EXPECT_THAT(broken.status().message(), HasSubstr("docker-credential-broken"));

  Helper("garbled", "echo not-json\n");
  ASSERT_TRUE(WriteFile(path, R"({"credsStore": "garbled"})").ok());
  EXPECT_EQ(store.Get("h.example").status().code(),
            absl::StatusCode::kUnavailable);

  Helper("token", "echo '{\"Username\":\"<token>\",\"Secret\":\"t\"}'\n");
  ASSERT_TRUE(WriteFile(path, R"({"credsStore": "token"})").ok());
  EXPECT_FALSE(store.Get("h.example")->has_value());

  ASSERT_TRUE(WriteFile(path, R"({"credsStore": "not-installed"})").ok());
  absl::StatusOr<std::optional<Credential>> missing = store.Get("h.example");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
}

}  // namespace
}  // namespace farm::image::registry
