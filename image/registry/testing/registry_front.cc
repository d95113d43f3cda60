#include "image/registry/testing/registry_front.h"

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry::testing {
namespace {

TestResponse JsonError(int status, const std::string& code,
                       const std::string& message) {
  TestResponse r;
  r.status = status;
  r.headers.Add("Content-Type", "application/json");
  r.body = nlohmann::json{{"errors", {{{"code", code}, {"message", message}}}}}
               .dump();
  return r;
}

// The repository a /v2/ path addresses, "" for the base endpoint.
std::string RepositoryOf(const std::string& path) {
  std::string rest = path.substr(4);  // after "/v2/"
  for (const char* marker : {"/manifests/", "/blobs/", "/tags/"}) {
    size_t at = rest.rfind(marker);
    if (at != std::string::npos) return rest.substr(0, at);
  }
  return "";
}

bool Granted(const std::vector<std::string>& grants, const std::string& repo,
             const std::string& action) {
  for (const std::string& g : grants) {
    std::vector<std::string> parts = absl::StrSplit(g, ':');
    if (parts.size() != 3 || parts[0] != "repository" || parts[1] != repo) {
      continue;
    }
    for (absl::string_view a : absl::StrSplit(parts[2], ',')) {
      if (a == action) return true;
    }
  }
  return false;
}

std::string NewToken() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return absl::StrCat("tok", counter.fetch_add(1), "-", rd());
}

}  // namespace

RegistryFront::RegistryFront(FrontOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<RegistryFront>> RegistryFront::Start(
    FrontOptions options) {
  std::unique_ptr<RegistryFront> front(new RegistryFront(std::move(options)));
  RegistryFront* self = front.get();
  ASSIGN_OR_RETURN(front->server_,
                   HttpTestServer::Start([self](const TestRequest& req) {
                     return self->Handle(req);
                   }));
  return front;
}

void RegistryFront::FailNext(int count, int status, std::string method,
                             std::string target_part) {
  absl::MutexLock lock(&mu_);
  faults_.push_back({count, status, std::move(method), std::move(target_part)});
}

std::vector<LoggedRequest> RegistryFront::Log() const {
  absl::MutexLock lock(&mu_);
  return log_;
}

void RegistryFront::ClearLog() {
  absl::MutexLock lock(&mu_);
  log_.clear();
}

int RegistryFront::Count(const std::string& method,
                         const std::string& part) const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const LoggedRequest& r : log_) {
    if (r.method == method && absl::StrContains(r.target, part)) ++n;
  }
  return n;
}

TestResponse RegistryFront::Handle(const TestRequest& req) {
  TestResponse resp;
  bool injected = false;
  {
    absl::MutexLock lock(&mu_);
    for (Fault& f : faults_) {
      if (f.count > 0 && (f.method.empty() || f.method == req.method) &&
          absl::StrContains(req.target, f.part)) {
        --f.count;
        resp = JsonError(f.status, "UNAVAILABLE", "injected failure");
        injected = true;
        break;
      }
    }
  }
  if (!injected) {
    if (req.path == "/token") {
      resp = IssueToken(req);
    } else if (std::optional<TestResponse> denied = CheckToken(req)) {
      resp = *std::move(denied);
    } else {
      resp = Proxy(req);
    }
  }
  absl::MutexLock lock(&mu_);
  log_.push_back({req.method, req.target, resp.status});
  return resp;
}

TestResponse RegistryFront::IssueToken(const TestRequest& req) {
  ++token_requests_;
  bool authenticated = false;
  std::string auth = req.headers.Get("Authorization");
  if (absl::StartsWith(auth, "Basic ")) {
    std::string decoded;
    absl::Base64Unescape(auth.substr(6), &decoded);
    for (const Credential& u : options_.users) {
      if (decoded == absl::StrCat(u.username, ":", u.password)) {
        authenticated = true;
      }
    }
    if (!authenticated) {
      return JsonError(401, "UNAUTHORIZED", "incorrect username or password");
    }
  }
  std::vector<std::string> grants;
  for (const std::string& scope : QueryValues(req.query, "scope")) {
    std::vector<std::string> parts = absl::StrSplit(scope, ':');
    if (parts.size() != 3) continue;
    grants.push_back(
        authenticated ? scope : absl::StrCat(parts[0], ":", parts[1], ":pull"));
  }
  std::string token = NewToken();
  {
    absl::MutexLock lock(&mu_);
    tokens_[token] = grants;
  }
  TestResponse r;
  r.headers.Add("Content-Type", "application/json");
  r.body = nlohmann::json{{options_.token_field, token},
                          {"expires_in", options_.token_expires_in}}
               .dump();
  return r;
}

std::optional<TestResponse> RegistryFront::CheckToken(const TestRequest& req) {
  if (!options_.bearer) return std::nullopt;
  std::string repo = RepositoryOf(req.path);
  std::string action =
      req.method == "GET" || req.method == "HEAD" ? "pull" : "push";
  std::vector<std::pair<std::string, std::string>> needs;
  if (!repo.empty()) needs.emplace_back(repo, action);
  std::vector<std::string> from = QueryValues(req.query, "from");
  if (!from.empty()) needs.emplace_back(from[0], "pull");

  std::string auth = req.headers.Get("Authorization");
  bool has_token = absl::StartsWith(auth, "Bearer ");
  bool ok = false;
  if (has_token) {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(auth.substr(7));
    if (it != tokens_.end()) {
      ok = true;
      for (const auto& [r, a] : needs) ok = ok && Granted(it->second, r, a);
    }
  }
  if (ok) return std::nullopt;
  std::string challenge = absl::StrCat("Bearer realm=\"http://", host(),
                                       "/token\",service=\"farm-front\"");
  if (!repo.empty()) {
    absl::StrAppend(&challenge, ",scope=\"repository:", repo, ":",
                    action == "pull" ? "pull" : "pull,push", "\"");
  }
  if (has_token) absl::StrAppend(&challenge, ",error=\"insufficient_scope\"");
  TestResponse r = JsonError(401, "UNAUTHORIZED", "authentication required");
  r.headers.Add("WWW-Authenticate", challenge);
  return r;
}

TestResponse RegistryFront::Proxy(const TestRequest& req) {
  bool upload = (req.method == "PUT" || req.method == "PATCH") &&
                absl::StrContains(req.path, "/blobs/uploads/");
  if (upload) {
    int now = ++uploads_;
    int seen = max_uploads_.load();
    while (now > seen && !max_uploads_.compare_exchange_weak(seen, now)) {
    }
    absl::SleepFor(options_.upload_delay);
  }
  HttpRequest out;
  out.method = req.method;
  out.url = absl::StrCat("http://", options_.upstream, req.target);
  for (const auto& [name, value] : req.headers.fields()) {
    if (absl::EqualsIgnoreCase(name, "Authorization") ||
        absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(name, "Connection") ||
        absl::EqualsIgnoreCase(name, "Expect")) {
      continue;
    }
    // Host stays the front's, so the registry's Locations point here.
    out.headers.Add(name, value);
  }
  out.body = req.body;
  out.max_body_bytes = 1 << 30;
  absl::StatusOr<HttpResponse> got = upstream_.Send(out, nullptr);
  if (upload) --uploads_;
  if (!got.ok()) {
    return JsonError(502, "UNAVAILABLE", std::string(got.status().message()));
  }
  TestResponse r;
  r.status = got->status;
  for (const auto& [name, value] : got->headers.fields()) {
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      if (req.method == "HEAD") {
        int64_t n = 0;
        if (absl::SimpleAtoi(value, &n)) r.head_length = n;
      }
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    r.headers.Add(name, value);
  }
  r.body = std::move(got->body);
  return r;
}

}  // namespace farm::image::registry::testing
