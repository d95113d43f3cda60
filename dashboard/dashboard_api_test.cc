#include "dashboard/dashboard_api.h"

#include "absl/strings/str_cat.h"
#include "auth/testing/self_signed.h"
#include "auth/token_file.h"
#include "common/fs.h"
#include "dashboard/testing/fake_farm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::dashboard {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kTeamA[] = "team-a-client-token-0123";
constexpr char kTeamB[] = "team-b-client-token-0123";
constexpr char kAdmin[] = "admin-token-0123456789ab";
constexpr char kWorker[] = "worker-token-0123456789a";

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("dashboard-api");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    const std::string path = JoinPath(dir_, "tokens");
    ASSERT_TRUE(
        WriteFile(path, absl::StrCat(kTeamA, " team-a client\n", kTeamB,
                                     " team-b client\n", kAdmin, " ops admin\n",
                                     kWorker, " pool worker\n"))
            .ok());
    absl::StatusOr<std::unique_ptr<auth::TokenFile>> tokens =
        auth::TokenFile::Open(path, &clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
    authenticator_ = std::make_unique<auth::Authenticator>(
        auth::AuthenticatorOptions{tokens_.get(), false});
    api_ = std::make_unique<DashboardApi>(DashboardDeps{
        &farm_, &history_, authenticator_.get(), &logins_, &clock_});
    a_build_ = farm_.AddBuild("b-a1", "team-a");
    b_build_ = farm_.AddBuild("b-b1", "team-b");
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  HttpResponse Get(const std::string& path, const std::string& token = "",
                   std::map<std::string, std::string> query = {}) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    if (!token.empty()) {
      request.headers["authorization"] = absl::StrCat("Bearer ", token);
    }
    return api_->Handle(request);
  }
  HttpResponse Post(const std::string& path, const std::string& body,
                    std::map<std::string, std::string> headers) {
    HttpRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    request.headers = std::move(headers);
    return api_->Handle(request);
  }
  static std::vector<std::string> Ids(const HttpResponse& response) {
    std::vector<std::string> ids;
    const Json body = Json::parse(response.body);
    for (const Json& row : body["builds"]) {
      ids.push_back(row["id"]);
    }
    return ids;
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<auth::TokenFile> tokens_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  testing::FakeFarm farm_;
  FarmHistory history_;
  LoginSessions logins_{&clock_};
  std::unique_ptr<DashboardApi> api_;
  std::shared_ptr<testing::FakeBuild> a_build_, b_build_;
};

TEST_F(DashboardApiTest, WithoutCredentialsTheApiAnswers401) {
  for (const char* path : {"/api/builds", "/api/builds/b-a1", "/api/workers",
                           "/api/cache", "/api/whoami"}) {
    HttpResponse response = Get(path);
    EXPECT_EQ(response.status, 401) << path;
    EXPECT_THAT(response.body, HasSubstr("error")) << path;
  }
  EXPECT_EQ(Get("/api/builds", "not-a-known-token-000000").status, 401);
}

TEST_F(DashboardApiTest, ATenantSeesOnlyItsOwnBuilds) {
  EXPECT_EQ(Ids(Get("/api/builds", kTeamA)), std::vector<std::string>{"b-a1"});
  EXPECT_EQ(Ids(Get("/api/builds", kTeamB)), std::vector<std::string>{"b-b1"});
  EXPECT_EQ(Ids(Get("/api/builds", kAdmin)),
            (std::vector<std::string>{"b-b1", "b-a1"}));  // newest first
  // Another tenant's build does not exist, whatever the route.
  EXPECT_EQ(Get("/api/builds/b-a1", kTeamB).status, 404);
  EXPECT_EQ(Get("/api/builds/b-a1/events", kTeamB).status, 404);
  EXPECT_EQ(Get("/api/builds/b-a1", kTeamA).status, 200);
  EXPECT_EQ(Get("/api/builds/b-a1", kAdmin).status, 200);
  // Workers hold no builds of their own.
  EXPECT_EQ(Get("/api/builds", kWorker).status, 403);
}

TEST_F(DashboardApiTest, BuildsFilterByStateAndTag) {
  b_build_->Finish("failed", "boom");
  EXPECT_EQ(Ids(Get("/api/builds", kAdmin, {{"state", "failed"}})),
            std::vector<std::string>{"b-b1"});
  EXPECT_EQ(Ids(Get("/api/builds", kAdmin, {{"state", "running"}})),
            std::vector<std::string>{"b-a1"});
  EXPECT_TRUE(Ids(Get("/api/builds", kAdmin, {{"tag", "web"}})).empty());
}

TEST_F(DashboardApiTest, ALoginTradesATokenForASessionCookie) {
  HttpResponse refused =
      Post("/api/login", R"({"token": "wrong-token-00000000000"})",
           {{kRequestHeader, "1"}});
  EXPECT_EQ(refused.status, 401);
  HttpResponse no_header =
      Post("/api/login", absl::StrCat(R"({"token": ")", kTeamA, R"("})"), {});
  EXPECT_EQ(no_header.status, 403);

  HttpResponse login =
      Post("/api/login", absl::StrCat(R"({"token": ")", kTeamA, R"("})"),
           {{kRequestHeader, "1"}});
  ASSERT_EQ(login.status, 204) << login.body;
  ASSERT_EQ(login.headers.size(), 1u);
  const std::string cookie = login.headers[0].second;
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_EQ(cookie.find(kTeamA), std::string::npos);  // never the token
  const std::string id =
      CookieValue(cookie.substr(0, cookie.find(';')), kSessionCookie);
  ASSERT_EQ(id.size(), 64u);

  HttpRequest request;
  request.method = "GET";
  request.path = "/api/whoami";
  request.headers["cookie"] = absl::StrCat("theme=dark; farm_session=", id);
  HttpResponse whoami = api_->Handle(request);
  ASSERT_EQ(whoami.status, 200) << whoami.body;
  EXPECT_EQ(Json::parse(whoami.body)["tenant"], "team-a");

  Post("/api/logout", "",
       {{kRequestHeader, "1"}, {"cookie", request.headers["cookie"]}});
  EXPECT_EQ(api_->Handle(request).status, 401);
}

TEST_F(DashboardApiTest, CancelNeedsTheHeaderTheTenantAndARunningBuild) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/builds/b-a1/cancel";
  request.headers["authorization"] = absl::StrCat("Bearer ", kTeamA);
  EXPECT_EQ(api_->Handle(request).status, 403);  // no X-Farm-Dashboard
  request.headers[kRequestHeader] = "1";
  request.path = "/api/builds/b-b1/cancel";
  EXPECT_EQ(api_->Handle(request).status, 404);  // team-b's
  EXPECT_TRUE(b_build_->cancels().empty());
  request.path = "/api/builds/b-a1/cancel";
  EXPECT_EQ(api_->Handle(request).status, 202);
  ASSERT_EQ(a_build_->cancels().size(), 1u);
  EXPECT_THAT(a_build_->cancels()[0], HasSubstr("dashboard"));
  a_build_->Finish("cancelled");
  EXPECT_EQ(api_->Handle(request).status, 409);
}

TEST_F(DashboardApiTest, TheCachePageIsForAdmins) {
  cache::CacheStats stats;
  stats.blob_bytes = 300;
  stats.max_bytes = 1000;
  farm_.SetCache(stats, {{"team-a",
                          {"web:1"},
                          "sha256:c1",
                          {{"sha256:l1", 200}, {"sha256:l2", 100}}},
                         {"team-b", {}, "sha256:c2", {{"sha256:l1", 200}}}});
  EXPECT_EQ(Get("/api/cache", kTeamA).status, 403);
  HttpResponse cache = Get("/api/cache", kAdmin);
  ASSERT_EQ(cache.status, 200) << cache.body;
  Json body = Json::parse(cache.body);
  EXPECT_EQ(body["stats"]["max_bytes"], 1000);
  ASSERT_EQ(body["biggest_layers"].size(), 2u);
  EXPECT_EQ(body["biggest_layers"][0]["digest"], "sha256:l1");
  EXPECT_EQ(body["biggest_layers"][0]["images"].size(), 2u);  // both keep it
  EXPECT_EQ(body["images"][0]["bytes"], 300);
}

TEST_F(DashboardApiTest, EventsPageAfterASequence) {
  for (int i = 0; i < 5; ++i) {
    proto::BuildEvent event;
    event.set_kind(proto::BuildEvent::STEP_LOG);
    event.set_text(absl::StrCat("line ", i, "\n"));
    a_build_->AddEvent(event);
  }
  HttpResponse page =
      Get("/api/builds/b-a1/events", kTeamA, {{"after", "3"}, {"limit", "10"}});
  ASSERT_EQ(page.status, 200) << page.body;
  Json body = Json::parse(page.body);
  ASSERT_EQ(body["events"].size(), 2u);
  EXPECT_EQ(body["events"][0]["seq"], 4);
  EXPECT_EQ(body["events"][0]["kind"], "log");
  EXPECT_EQ(body["events"][1]["text"], "line 4\n");
  EXPECT_EQ(body["done"], false);
  EXPECT_EQ(body["last_sequence"], 5);
  EXPECT_EQ(Get("/api/builds/b-a1/events", kTeamA, {{"after", "x"}}).status,
            400);
}

TEST_F(DashboardApiTest, PagesAndAssetsNeedNoLogin) {
  HttpResponse root = Get("/");
  EXPECT_EQ(root.status, 302);
  for (const char* page :
       {"/builds", "/builds/b-a1", "/workers", "/cache", "/login"}) {
    HttpResponse response = Get(page);
    EXPECT_EQ(response.status, 200) << page;
    EXPECT_THAT(response.content_type, HasSubstr("text/html")) << page;
    EXPECT_THAT(response.body, HasSubstr("/assets/")) << page;
  }
  HttpResponse script = Get("/assets/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_THAT(script.content_type, HasSubstr("javascript"));
  EXPECT_EQ(Get("/assets/../BUILD.bazel").status, 404);
  EXPECT_EQ(Get("/etc/passwd").status, 404);
}

TEST_F(DashboardApiTest, AClientCertificateIsAnIdentityToo) {
  auth::Authenticator with_certificates{
      auth::AuthenticatorOptions{tokens_.get(), true}};
  DashboardApi api(
      DashboardDeps{&farm_, &history_, &with_certificates, &logins_, &clock_});
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/builds";
  request.secure = true;
  request.client_certificate_pem =
      auth::testing::SelfSignedPem({{"CN", "team-b"}});
  HttpResponse response = api.Handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Ids(response), std::vector<std::string>{"b-b1"});
  // A token, when there is one, is who the request is.
  request.headers["authorization"] = absl::StrCat("Bearer ", kTeamA);
  EXPECT_EQ(Ids(api.Handle(request)), std::vector<std::string>{"b-a1"});
}

TEST_F(DashboardApiTest, AnOpenFarmNeedsNoLogin) {
  auth::Authenticator open{auth::AuthenticatorOptions{}};
  DashboardApi api(DashboardDeps{&farm_, &history_, &open, &logins_, &clock_});
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/builds";
  HttpResponse response = api.Handle(request);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(Ids(response).size(), 2u);  // the default admin sees all
}

}  // namespace
}  // namespace farm::dashboard
