// CurlTransport: HttpTransport over libcurl. Easy handles are pooled, so
// requests to the same registry reuse kept-alive connections, and each
// concurrent request gets its own handle.
#ifndef FARM_IMAGE_REGISTRY_CURL_TRANSPORT_H_
#define FARM_IMAGE_REGISTRY_CURL_TRANSPORT_H_

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "image/registry/http.h"

namespace farm::image::registry {

struct CurlTransportOptions {
  std::string user_agent = "farm/0.1";
  absl::Duration connect_timeout = absl::Seconds(30);
  // A transfer that moves no byte for this long fails (kUnavailable).
  absl::Duration stall_timeout = absl::Seconds(60);
};

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    ByteWriter* sink) override;

 private:
  void* Acquire();
  void Release(void* handle);

  CurlTransportOptions options_;
  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_CURL_TRANSPORT_H_
