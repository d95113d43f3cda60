#include "dashboard/dashboard_api.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "auth/permission.h"
#include "dashboard/assets.h"
#include "dashboard/json_views.h"

namespace farm::dashboard {

namespace {

constexpr size_t kMaxEventsPerPage = 5000;

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

HttpResponse AssetResponse(absl::string_view name) {
  std::optional<Asset> asset = FindAsset(name);
  if (!asset.has_value()) {
    return ErrorResponse(absl::NotFoundError(absl::StrCat("no asset ", name)));
  }
  HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->bytes);
  return response;
}

bool IsPage(absl::string_view path) {
  return path == "/builds" || path == "/workers" || path == "/cache" ||
         path == "/login" || absl::StartsWith(path, "/builds/");
}

std::string Query(const HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? "" : it->second;
}

bool Matches(const proto::BuildSummary& build, const std::string& state,
             const std::string& tag) {
  if (!state.empty() && build.state() != state) return false;
  if (tag.empty()) return true;
  return std::any_of(
      build.tags().begin(), build.tags().end(),
      [&](const std::string& t) { return absl::StrContains(t, tag); });
}

}  // namespace

HttpResponse ErrorResponse(const absl::Status& status) {
  int code = 500;
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      code = 401;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403;
      break;
    case absl::StatusCode::kNotFound:
      code = 404;
      break;
    case absl::StatusCode::kInvalidArgument:
      code = 400;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = 409;
      break;
    case absl::StatusCode::kUnavailable:
      code = 503;
      break;
    default:
      break;
  }
  return JsonResponse(code, {{"error", std::string(status.message())}});
}

std::string CookieValue(const std::string& header, const std::string& name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

absl::StatusOr<auth::Identity> DashboardApi::Caller(
    const HttpRequest& request) const {
  auth::CallCredentials call;
  auto header = request.headers.find("authorization");
  if (header != request.headers.end()) {
    call.authorization.push_back(header->second);
  } else if (auto cookie = request.headers.find("cookie");
             cookie != request.headers.end()) {
    const std::string id = CookieValue(cookie->second, kSessionCookie);
    if (!id.empty()) {
      std::optional<std::string> authorization = deps_.logins->Find(id);
      if (!authorization.has_value() && !deps_.authenticator->open()) {
        return absl::UnauthenticatedError(
            "the dashboard session has ended; log in again");
      }
      if (authorization.has_value())
        call.authorization.push_back(*authorization);
    }
  }
  call.peer_certificate_pem = request.client_certificate_pem;
  return deps_.authenticator->Authenticate(call);
}

absl::StatusOr<std::shared_ptr<BuildHandle>> DashboardApi::VisibleBuild(
    const auth::Identity& caller, const std::string& id) const {
  std::shared_ptr<BuildHandle> build = deps_.farm->FindBuild(id);
  if (build == nullptr || (caller.role != auth::Role::kAdmin &&
                           build->Summary().tenant() != caller.tenant)) {
    return absl::NotFoundError(absl::StrCat("no build ", id));
  }
  return build;
}

HttpResponse DashboardApi::Handle(const HttpRequest& request) {
  HttpResponse response;
  if (request.path == "/" && request.method == "GET") {
    response.status = 302;
    response.headers.push_back({"Location", "/builds"});
    return response;
  }
  if (request.method == "GET" && IsPage(request.path)) {
    return AssetResponse("index.html");
  }
  absl::string_view path = request.path;
  if (request.method == "GET" && absl::ConsumePrefix(&path, "/assets/")) {
    return AssetResponse(path);
  }
  if (!absl::StartsWith(request.path, "/api/")) {
    return ErrorResponse(absl::NotFoundError("no such page"));
  }
  if (request.method == "POST" && request.headers.count(kRequestHeader) == 0) {
    return ErrorResponse(absl::PermissionDeniedError(
        "a POST to the dashboard must carry the X-Farm-Dashboard header"));
  }
  if (request.path == "/api/login" && request.method == "POST") {
    return Login(request);
  }
  if (request.path == "/api/logout" && request.method == "POST") {
    return Logout(request);
  }
  absl::StatusOr<auth::Identity> caller = Caller(request);
  if (!caller.ok()) return ErrorResponse(caller.status());
  response = Api(request, *caller);
  response.headers.push_back({"Cache-Control", "no-store"});
  return response;
}

HttpResponse DashboardApi::Login(const HttpRequest& request) {
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("token") ||
      !body["token"].is_string()) {
    return ErrorResponse(
        absl::InvalidArgumentError("the login body is {\"token\": \"...\"}"));
  }
  const std::string authorization =
      absl::StrCat("Bearer ", body["token"].get<std::string>());
  absl::StatusOr<auth::Identity> identity =
      deps_.authenticator->Authenticate({{authorization}, ""});
  if (!identity.ok()) return ErrorResponse(identity.status());
  HttpResponse response;
  response.status = 204;
  response.headers.push_back(
      {"Set-Cookie",
       absl::StrCat(kSessionCookie, "=", deps_.logins->Open(authorization),
                    "; Path=/; HttpOnly; SameSite=Strict",
                    request.secure ? "; Secure" : "")});
  return response;
}

HttpResponse DashboardApi::Logout(const HttpRequest& request) {
  auto cookie = request.headers.find("cookie");
  if (cookie != request.headers.end()) {
    deps_.logins->Close(CookieValue(cookie->second, kSessionCookie));
  }
  HttpResponse response;
  response.status = 204;
  response.headers.push_back(
      {"Set-Cookie", absl::StrCat(kSessionCookie,
                                  "=; Path=/; HttpOnly; SameSite=Strict; "
                                  "Max-Age=0")});
  return response;
}

HttpResponse DashboardApi::Api(const HttpRequest& request,
                               const auth::Identity& caller) {
  if (request.path == "/api/whoami" && request.method == "GET") {
    return JsonResponse(200, {{"tenant", caller.tenant},
                              {"role", std::string(RoleName(caller.role))},
                              {"source", caller.source},
                              {"open", deps_.authenticator->open()}});
  }
  if (request.path == "/api/cache" && request.method == "GET") {
    absl::Status allowed =
        auth::Authorize(caller, auth::Permission::kAdminister);
    if (!allowed.ok()) return ErrorResponse(allowed);
    return Cache();
  }
  absl::Status allowed = auth::Authorize(caller, auth::Permission::kBuild);
  if (!allowed.ok()) return ErrorResponse(allowed);
  if (request.path == "/api/builds" && request.method == "GET") {
    return Builds(request, caller);
  }
  if (request.path == "/api/workers" && request.method == "GET") {
    return JsonResponse(200,
                        WorkersJson(deps_.farm->Workers(), *deps_.history));
  }
  absl::string_view rest = request.path;
  if (absl::ConsumePrefix(&rest, "/api/builds/")) {
    std::vector<std::string> parts = absl::StrSplit(rest, '/');
    if (parts.size() == 1 && request.method == "GET") {
      return Build(caller, parts[0]);
    }
    if (parts.size() == 2 && parts[1] == "events" && request.method == "GET") {
      return Events(request, caller, parts[0]);
    }
    if (parts.size() == 2 && parts[1] == "cancel" && request.method == "POST") {
      return Cancel(caller, parts[0]);
    }
  }
  return ErrorResponse(absl::NotFoundError(
      absl::StrCat("no route ", request.method, " ", request.path)));
}

HttpResponse DashboardApi::Builds(const HttpRequest& request,
                                  const auth::Identity& caller) {
  const std::string state = Query(request, "state");
  const std::string tag = Query(request, "tag");
  const absl::Time now = deps_.clock->Now();
  std::vector<proto::BuildSummary> builds = deps_.farm->Builds();
  Json rows = Json::array();
  // Newest first.
  for (auto it = builds.rbegin(); it != builds.rend(); ++it) {
    if (caller.role != auth::Role::kAdmin && it->tenant() != caller.tenant) {
      continue;
    }
    if (Matches(*it, state, tag)) rows.push_back(BuildRowJson(*it, now));
  }
  return JsonResponse(200, {{"builds", std::move(rows)}});
}

HttpResponse DashboardApi::Build(const auth::Identity& caller,
                                 const std::string& id) {
  absl::StatusOr<std::shared_ptr<BuildHandle>> build = VisibleBuild(caller, id);
  if (!build.ok()) return ErrorResponse(build.status());
  // The summary after the events, so that a build that ends meanwhile
  // shows every event of its end.
  scheduler::EventPage page =
      (*build)->EventsAfter(0, SIZE_MAX, absl::ZeroDuration());
  return JsonResponse(
      200,
      BuildDetailJson((*build)->Summary(), (*build)->Outline(), page.events,
                      page.last_sequence, deps_.clock->Now()));
}

HttpResponse DashboardApi::Events(const HttpRequest& request,
                                  const auth::Identity& caller,
                                  const std::string& id) {
  absl::StatusOr<std::shared_ptr<BuildHandle>> build = VisibleBuild(caller, id);
  if (!build.ok()) return ErrorResponse(build.status());
  int64_t after = 0;
  size_t limit = kMaxEventsPerPage;
  if (!Query(request, "after").empty() &&
      !absl::SimpleAtoi(Query(request, "after"), &after)) {
    return ErrorResponse(absl::InvalidArgumentError("after is a number"));
  }
  if (!Query(request, "limit").empty() &&
      !absl::SimpleAtoi(Query(request, "limit"), &limit)) {
    return ErrorResponse(absl::InvalidArgumentError("limit is a number"));
  }
  scheduler::EventPage page = (*build)->EventsAfter(
      after, std::min(limit, kMaxEventsPerPage), absl::ZeroDuration());
  Json events = Json::array();
  for (const proto::BuildEvent& event : page.events) {
    events.push_back(EventJson(event));
  }
  return JsonResponse(200, {{"events", std::move(events)},
                            {"done", page.done},
                            {"last_sequence", page.last_sequence}});
}

HttpResponse DashboardApi::Cancel(const auth::Identity& caller,
                                  const std::string& id) {
  absl::StatusOr<std::shared_ptr<BuildHandle>> build = VisibleBuild(caller, id);
  if (!build.ok()) return ErrorResponse(build.status());
  if ((*build)->Summary().state() != "running") {
    return ErrorResponse(absl::FailedPreconditionError(
        absl::StrCat("build ", id, " has already ended")));
  }
  (*build)->Cancel(absl::StrCat("from the dashboard by ", caller.source.empty()
                                                              ? caller.tenant
                                                              : caller.source));
  return JsonResponse(202, {{"cancelling", true}});
}

HttpResponse DashboardApi::Cache() {
  absl::StatusOr<cache::CacheStats> stats = deps_.farm->CacheStats();
  if (!stats.ok()) return ErrorResponse(stats.status());
  return JsonResponse(200,
                      CacheJson(*stats, *deps_.history, deps_.farm->Images()));
}

}  // namespace farm::dashboard
