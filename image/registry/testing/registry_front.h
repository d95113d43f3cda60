// RegistryFront: an HTTP front for a LocalRegistry that tests put between
// the client and the real registry. It can demand Bearer tokens from its
// own token endpoint (the distribution token flow without the registry's
// certificate setup), inject failures such as 503, slow uploads down, and
// it logs every request so tests can see what the client sent.
#ifndef FARM_IMAGE_REGISTRY_TESTING_REGISTRY_FRONT_H_
#define FARM_IMAGE_REGISTRY_TESTING_REGISTRY_FRONT_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "image/registry/credentials.h"
#include "image/registry/curl_transport.h"
#include "image/registry/testing/http_test_server.h"

namespace farm::image::registry::testing {

struct FrontOptions {
  std::string upstream;  // "127.0.0.1:PORT" of the real registry
  // Demand "Authorization: Bearer" tokens issued by GET /token.
  bool bearer = false;
  // Users whose tokens carry every requested action; others (anonymous)
  // get pull only, and a wrong password gets 401 from /token.
  std::vector<Credential> users;
  // The JSON field the token comes in: "token" or "access_token".
  std::string token_field = "token";
  int token_expires_in = 300;
  // Added to every blob upload request (PATCH/PUT), to make overlap visible.
  absl::Duration upload_delay = absl::ZeroDuration();
};

struct LoggedRequest {
  std::string method;
  std::string target;
  int status = 0;
};

class RegistryFront {
 public:
  static absl::StatusOr<std::unique_ptr<RegistryFront>> Start(
      FrontOptions options);

  ~RegistryFront() { server_.reset(); }  // stop handlers before members go

  std::string host() const { return server_->host(); }

  // The next `count` requests with this method ("" for any) whose target
  // contains `target_part` get `status` with a JSON error body instead of
  // reaching the registry.
  void FailNext(int count, int status, std::string method,
                std::string target_part);

  std::vector<LoggedRequest> Log() const;
  void ClearLog();
  // Requests in the log with this method whose target contains `part`.
  int Count(const std::string& method, const std::string& part) const;
  int token_requests() const { return token_requests_; }
  int max_concurrent_uploads() const { return max_uploads_; }

 private:
  struct Fault {
    int count;
    int status;
    std::string method;
    std::string part;
  };

  explicit RegistryFront(FrontOptions options);
  TestResponse Handle(const TestRequest& req);
  TestResponse IssueToken(const TestRequest& req);
  // Empty if the request may pass, else the 401 to send.
  std::optional<TestResponse> CheckToken(const TestRequest& req);
  TestResponse Proxy(const TestRequest& req);

  FrontOptions options_;
  CurlTransport upstream_;
  std::unique_ptr<HttpTestServer> server_;
  mutable absl::Mutex mu_;
  std::vector<Fault> faults_ ABSL_GUARDED_BY(mu_);
  std::vector<LoggedRequest> log_ ABSL_GUARDED_BY(mu_);
  // token → "repository:name:actions" granted
  std::map<std::string, std::vector<std::string>> tokens_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> token_requests_{0};
  std::atomic<int> uploads_{0};
  std::atomic<int> max_uploads_{0};
};

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_REGISTRY_FRONT_H_
