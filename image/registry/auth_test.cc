// Authentication against real servers: docker-registry with htpasswd basic
// auth, and the Bearer token flow through a RegistryFront token server
// proxying to a docker-registry. Credentials come from a Docker
// config.json in a temporary DOCKER_CONFIG, as a user's would.
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/archive/dir_blob_store.h"
#include "image/registry/image_puller.h"
#include "image/registry/image_pusher.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/registry_front.h"
#include "image/registry/testing/test_env.h"
#include "image/registry/testing/test_image.h"

namespace farm::image::registry {
namespace {

using testing::FrontOptions;
using ::testing::HasSubstr;
using testing::LocalRegistry;
using testing::RegistryFront;
using testing::TestImage;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("auth");
    store_ = *archive::DirBlobStore::Open(dir_ + "/store");
    image_ = *testing::BuildTestImage(*store_, {{{"secret", "payload"}}});
    // Each test sees only the logins it writes.
    setenv("DOCKER_CONFIG", (dir_ + "/docker").c_str(), 1);
    setenv("FARM_CONFIG", (dir_ + "/farm").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("DOCKER_CONFIG");
    unsetenv("FARM_CONFIG");
    ASSERT_TRUE(RemoveAll(dir_).ok());
  }

  // Writes a Docker config.json the way `docker login` does.
  void DockerLogin(const std::string& host, const std::string& user,
                   const std::string& password) {
    ASSERT_TRUE(MakeDirs(dir_ + "/docker").ok());
    std::string auth = absl::Base64Escape(user + ":" + password);
    ASSERT_TRUE(WriteFile(dir_ + "/docker/config.json",
                          absl::StrCat("{\"auths\":{\"", host,
                                       "\":{\"auth\":\"", auth, "\"}}}"))
                    .ok());
  }

  std::unique_ptr<RegistryClient> Client(const Clock* clock = nullptr) {
    absl::StatusOr<RegistryClientOptions> o = DefaultRegistryClientOptions();
    EXPECT_TRUE(o.ok()) << o.status();
    o->sleeper = &sleeper_;
    o->clock = clock;
    return std::make_unique<RegistryClient>(*o);
  }

  absl::StatusOr<PushResult> Push(RegistryClient& client,
                                  const std::string& ref) {
    ImagePusher pusher(&client);
    return pusher.Push(*Reference::Parse(ref), image_.manifest,
                       image_.media_type, *store_);
  }

  absl::StatusOr<ResolvedImage> Resolve(RegistryClient& client,
                                        const std::string& ref) {
    ImagePuller puller(&client);
    return puller.Resolve(*Reference::Parse(ref));
  }

  testing::RecordingSleeper sleeper_;
  std::string dir_;
  std::unique_ptr<archive::DirBlobStore> store_;
  TestImage image_;
};

TEST_F(AuthTest, HtpasswdBasicAuth) {
  testing::LocalRegistryOptions ro;
  ro.users = {{"alice", "s3cret"}};
  std::unique_ptr<LocalRegistry> reg = *LocalRegistry::Start(ro);
  std::string ref = reg->host() + "/private/app:1";

  absl::Status s = Push(*Client(), ref).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("pushing " + ref));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("authentication required (HTTP 401)"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("run farm login " + reg->host()));

  DockerLogin(reg->host(), "alice", "wrong");
  s = Push(*Client(), ref).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("refused the stored credentials; run "
                        "farm login " +
                        reg->host()));

  DockerLogin(reg->host(), "alice", "s3cret");
  std::unique_ptr<RegistryClient> client = Client();
  absl::StatusOr<PushResult> pushed = Push(*client, ref);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  absl::StatusOr<ResolvedImage> resolved = Resolve(*client, ref);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->descriptor.digest, image_.digest);

  // What `farm login` checks before it stores anything.
  EXPECT_TRUE(client->CheckLogin(reg->host(), {"alice", "s3cret"}).ok());
  s = client->CheckLogin(reg->host(), {"alice", "nope"});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("logging in to " + reg->host()));
}

TEST_F(AuthTest, FarmLoginStoreWinsOverDocker) {
  testing::LocalRegistryOptions ro;
  ro.users = {{"alice", "s3cret"}};
  std::unique_ptr<LocalRegistry> reg = *LocalRegistry::Start(ro);
  DockerLogin(reg->host(), "alice", "stale");
  ConfigFileCredentialStore farm_store(FarmConfigPath());
  ASSERT_TRUE(farm_store.Store(reg->host(), {"alice", "s3cret"}).ok());
  absl::StatusOr<PushResult> pushed = Push(*Client(), reg->host() + "/f:1");
  ASSERT_TRUE(pushed.ok()) << pushed.status();
}

class BearerTest : public AuthTest {
 protected:
  void SetUp() override {
    AuthTest::SetUp();
    registry_ = *LocalRegistry::Start();
  }
  std::unique_ptr<RegistryFront> Front(const std::string& field = "token") {
    FrontOptions fo;
    fo.upstream = registry_->host();
    fo.bearer = true;
    fo.users = {{"bob", "hunter2"}};
    fo.token_field = field;
    return *RegistryFront::Start(fo);
  }
  std::unique_ptr<LocalRegistry> registry_;
};

TEST_F(BearerTest, TokenFlowWithCredentialsAndCache) {
  std::unique_ptr<RegistryFront> front = Front();
  DockerLogin(front->host(), "bob", "hunter2");
  std::unique_ptr<RegistryClient> client = Client();
  std::string ref = front->host() + "/team/app:1";
  absl::StatusOr<PushResult> pushed = Push(*client, ref);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  // One token for the push scope, not one per request.
  EXPECT_EQ(front->token_requests(), 1);
  EXPECT_GT(front->Log().size(), 6u);

  ASSERT_TRUE(Push(*client, front->host() + "/team/app:2").ok());
  EXPECT_EQ(front->token_requests(), 1);  // cached
  absl::StatusOr<ResolvedImage> r = Resolve(*client, ref);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->descriptor.digest, image_.digest);
  EXPECT_EQ(front->token_requests(), 2);  // the pull scope is another token
}

TEST_F(BearerTest, AccessTokenFieldAndAnonymousPull) {
  std::unique_ptr<RegistryFront> front = Front("access_token");
  DockerLogin(front->host(), "bob", "hunter2");
  std::string ref = front->host() + "/public/app:1";
  ASSERT_TRUE(Push(*Client(), ref).ok());

  ASSERT_TRUE(RemoveAll(dir_ + "/docker").ok());
  std::unique_ptr<RegistryClient> anonymous = Client();
  absl::StatusOr<ResolvedImage> r = Resolve(*anonymous, ref);
  ASSERT_TRUE(r.ok()) << r.status();  // anonymous tokens may pull

  absl::Status s = Push(*anonymous, front->host() + "/public/app:2").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("run farm login " + front->host()));
}

TEST_F(BearerTest, WrongPasswordIsRefusedByTheTokenServer) {
  std::unique_ptr<RegistryFront> front = Front();
  DockerLogin(front->host(), "bob", "wrong");
  std::unique_ptr<RegistryClient> client = Client();
  absl::Status s = Resolve(*client, front->host() + "/x:1").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("getting a token for " + front->host()));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("incorrect username or password"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("run farm login " + front->host()));

  EXPECT_EQ(client->CheckLogin(front->host(), {"bob", "wrong"}).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(client->CheckLogin(front->host(), {"bob", "hunter2"}).ok());
}

TEST_F(BearerTest, TokensAreRenewedWhenTheyExpire) {
  std::unique_ptr<RegistryFront> front = Front();
  DockerLogin(front->host(), "bob", "hunter2");
  SimulatedClock clock(absl::FromUnixSeconds(1700000000));
  std::unique_ptr<RegistryClient> client = Client(&clock);
  std::string ref = front->host() + "/exp/app:1";
  ASSERT_TRUE(Push(*client, ref).ok());
  ASSERT_TRUE(Resolve(*client, ref).ok());
  int tokens = front->token_requests();
  clock.Advance(absl::Seconds(200));  // tokens last 300 s
  ASSERT_TRUE(Resolve(*client, ref).ok());
  EXPECT_EQ(front->token_requests(), tokens);
  clock.Advance(absl::Seconds(90));  // inside the renewal margin
  ASSERT_TRUE(Resolve(*client, ref).ok());
  EXPECT_EQ(front->token_requests(), tokens + 1);
}

}  // namespace
}  // namespace farm::image::registry
