#include "dashboard/dashboard_server.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/permission.h"

namespace farm::dashboard {

namespace {

constexpr char kEventStream[] = "text/event-stream";

}  // namespace

DashboardServer::DashboardServer(DashboardOptions options)
    : options_(std::move(options)),
      logins_(options_.clock),
      api_(DashboardDeps{options_.farm, &history_, options_.authenticator,
                         &logins_, options_.clock}),
      streams_(DashboardDeps{options_.farm, &history_, options_.authenticator,
                             &logins_, options_.clock},
               &stopping_) {}

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    DashboardOptions options) {
  std::unique_ptr<DashboardServer> server(
      new DashboardServer(std::move(options)));
  DashboardServer* raw = server.get();
  absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
      raw->options_.http,
      [raw](const HttpRequest& request, HttpExchange& exchange) {
        raw->Serve(request, exchange);
      });
  if (!http.ok()) return http.status();
  raw->http_ = *std::move(http);
  raw->sampler_ = std::thread([raw] { raw->SampleLoop(); });
  return server;
}

DashboardServer::~DashboardServer() {
  stopping_.Notify();
  if (sampler_.joinable()) sampler_.join();
  http_.reset();  // waits for the streams, which end within half a second
}

std::string DashboardServer::url() const {
  std::string host(
      options_.http.address.substr(0, options_.http.address.rfind(':')));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  return absl::StrCat(http_->tls() ? "https://" : "http://", host, ":",
                      http_->port());
}

void DashboardServer::SampleLoop() {
  do {
    std::optional<cache::CacheStats> cache;
    absl::StatusOr<cache::CacheStats> stats = options_.farm->CacheStats();
    if (stats.ok()) cache = *stats;
    history_.Sample(options_.clock->Now(), options_.farm->Workers().workers,
                    cache);
  } while (!stopping_.WaitForNotificationWithTimeout(options_.sample_every));
}

void DashboardServer::Serve(const HttpRequest& request,
                            HttpExchange& exchange) {
  if (request.method == "GET" && request.path == "/api/stream") {
    absl::StatusOr<auth::Identity> caller = api_.Caller(request);
    absl::Status allowed =
        caller.ok() ? auth::Authorize(*caller, auth::Permission::kBuild)
                    : caller.status();
    if (!allowed.ok()) return exchange.Send(ErrorResponse(allowed));
    exchange.Stream(kEventStream,
                    [this, caller = *caller](const StreamWriter& write) {
                      streams_.Feed(caller, write);
                    });
    return;
  }
  if (request.method == "GET" && ServeBuildStream(request, exchange)) return;
  exchange.Send(api_.Handle(request));
}

bool DashboardServer::ServeBuildStream(const HttpRequest& request,
                                       HttpExchange& exchange) {
  absl::string_view id = request.path;
  if (!absl::ConsumePrefix(&id, "/api/builds/") ||
      !absl::ConsumeSuffix(&id, "/stream") || absl::StrContains(id, "/")) {
    return false;
  }
  absl::StatusOr<auth::Identity> caller = api_.Caller(request);
  absl::Status allowed =
      caller.ok() ? auth::Authorize(*caller, auth::Permission::kBuild)
                  : caller.status();
  if (!allowed.ok()) {
    exchange.Send(ErrorResponse(allowed));
    return true;
  }
  absl::StatusOr<std::shared_ptr<BuildHandle>> build =
      api_.VisibleBuild(*caller, std::string(id));
  if (!build.ok()) {
    exchange.Send(ErrorResponse(build.status()));
    return true;
  }
  int64_t after = 0;
  auto query = request.query.find("after");
  if (query != request.query.end() &&
      !absl::SimpleAtoi(query->second, &after)) {
    exchange.Send(
        ErrorResponse(absl::InvalidArgumentError("after is a number")));
    return true;
  }
  // EventSource sends the last id it saw when it reconnects.
  auto last = request.headers.find("last-event-id");
  if (last != request.headers.end()) {
    int64_t seen = 0;
    if (absl::SimpleAtoi(last->second, &seen)) after = std::max(after, seen);
  }
  exchange.Stream(kEventStream, [this, build = *std::move(build),
                                 after](const StreamWriter& write) {
    streams_.Build(*build, after, write);
  });
  return true;
}

}  // namespace farm::dashboard
