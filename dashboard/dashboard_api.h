// DashboardApi: the dashboard's routes, requests in and responses out: the
// login, the JSON API over a FarmView, and the pages and their assets.
// Every /api/ route but login authenticates the caller (a session cookie, a
// bearer token or a verified client certificate) and checks its role with
// auth::Authorize; clients see their own tenant's builds, admins every
// tenant's. The live streams are in EventStreams. Thread-safe.
#ifndef FARM_DASHBOARD_DASHBOARD_API_H_
#define FARM_DASHBOARD_DASHBOARD_API_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "auth/identity.h"
#include "common/clock.h"
#include "dashboard/farm_history.h"
#include "dashboard/farm_view.h"
#include "dashboard/http_types.h"
#include "dashboard/login_sessions.h"

namespace farm::dashboard {

inline constexpr char kSessionCookie[] = "farm_session";
// What every POST must carry: a page of another site can send a form or a
// plain request with the browser's cookie, but not a custom header.
inline constexpr char kRequestHeader[] = "x-farm-dashboard";

struct DashboardDeps {
  FarmView* farm = nullptr;
  const FarmHistory* history = nullptr;
  const auth::Authenticator* authenticator = nullptr;
  LoginSessions* logins = nullptr;
  Clock* clock = RealClock::Get();
};

class DashboardApi {
 public:
  explicit DashboardApi(DashboardDeps deps) : deps_(deps) {}

  HttpResponse Handle(const HttpRequest& request);

  // Who sends `request`: kUnauthenticated when it carries nothing valid.
  absl::StatusOr<auth::Identity> Caller(const HttpRequest& request) const;
  // Build `id` if `caller` may see it; kNotFound otherwise (another tenant's
  // build is not admitted to exist).
  absl::StatusOr<std::shared_ptr<BuildHandle>> VisibleBuild(
      const auth::Identity& caller, const std::string& id) const;

 private:
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);
  HttpResponse Api(const HttpRequest& request, const auth::Identity& caller);
  HttpResponse Builds(const HttpRequest& request, const auth::Identity& caller);
  HttpResponse Build(const auth::Identity& caller, const std::string& id);
  HttpResponse Events(const HttpRequest& request, const auth::Identity& caller,
                      const std::string& id);
  HttpResponse Cancel(const auth::Identity& caller, const std::string& id);
  HttpResponse Cache();

  DashboardDeps deps_;
};

// A JSON error body with the HTTP status for `status`'s code.
HttpResponse ErrorResponse(const absl::Status& status);
// The value of cookie `name` in a Cookie header; "" if absent.
std::string CookieValue(const std::string& header, const std::string& name);

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_DASHBOARD_API_H_
