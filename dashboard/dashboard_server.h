// DashboardServer: the farm's web dashboard, served by the scheduler on
// --http-listen. It wires the routes (DashboardApi), the live streams
// (EventStreams) and the history a sampler keeps (FarmHistory) to an
// HttpServer, with the scheduler's own TLS files and identities.
#ifndef FARM_DASHBOARD_DASHBOARD_SERVER_H_
#define FARM_DASHBOARD_DASHBOARD_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/event_streams.h"
#include "dashboard/farm_history.h"
#include "dashboard/farm_view.h"
#include "dashboard/http_server.h"
#include "dashboard/login_sessions.h"

namespace farm::dashboard {

struct DashboardOptions {
  HttpServerOptions http;
  FarmView* farm = nullptr;                            // not owned
  const auth::Authenticator* authenticator = nullptr;  // not owned
  Clock* clock = RealClock::Get();
  // How often worker load and cache counters are sampled.
  absl::Duration sample_every = absl::Seconds(5);
};

class DashboardServer {
 public:
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(
      DashboardOptions options);
  // Ends the streams, then stops serving.
  ~DashboardServer();

  int port() const { return http_->port(); }
  // "http://127.0.0.1:PORT" or "https://..." for the listen address.
  std::string url() const;

 private:
  explicit DashboardServer(DashboardOptions options);
  void Serve(const HttpRequest& request, HttpExchange& exchange);
  // Streams a build's events; false when `request` is not such a stream.
  bool ServeBuildStream(const HttpRequest& request, HttpExchange& exchange);
  void SampleLoop();

  DashboardOptions options_;
  FarmHistory history_;
  LoginSessions logins_;
  DashboardApi api_;
  absl::Notification stopping_;
  EventStreams streams_;
  std::thread sampler_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_DASHBOARD_SERVER_H_
