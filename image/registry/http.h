// HttpTransport: the one seam between the registry protocol and the network.
// CurlTransport is the real one; the protocol code above it only builds
// requests and reads responses, so it never touches libcurl.
#ifndef FARM_IMAGE_REGISTRY_HTTP_H_
#define FARM_IMAGE_REGISTRY_HTTP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/io.h"

namespace farm::image::registry {

// Header fields in arrival order; names compare case-insensitively.
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);
  // Replaces every field called `name` with one.
  void Set(const std::string& name, std::string value);
  // The first value of `name`, "" if absent.
  std::string Get(absl::string_view name) const;
  std::vector<std::string> GetAll(absl::string_view name) const;
  bool Has(absl::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const {
    return fields_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  // The body: `body`, or when `body_reader` is set, exactly `body_size`
  // bytes read from it (not owned).
  std::string body;
  ByteReader* body_reader = nullptr;
  int64_t body_size = 0;
  // Follow 3xx answers (blob downloads redirect to storage). Authorization
  // is not forwarded to another host.
  bool follow_redirects = false;
  // Check the server's TLS certificate; off only for insecure registries.
  bool verify_tls = true;
  // Cap on a body kept in memory (responses not streamed to a sink).
  size_t max_body_bytes = 8 << 20;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  // The body, unless a 2xx body went to the sink.
  std::string body;
  // The URL that answered, after redirects.
  std::string url;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends `request` and waits for the whole answer. Any HTTP status is a
  // response. When `sink` is not null, the body of a 2xx answer streams into
  // it (not closed); other bodies land in response.body. Errors:
  // kUnavailable for network failures (refused, reset, timeout, TLS), the
  // sink's own error if it fails, kResourceExhausted past max_body_bytes.
  // Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                            ByteWriter* sink = nullptr) = 0;
};

// The media type of a Content-Type value, without parameters, lowercase.
std::string MediaTypeOf(absl::string_view content_type);

// "https://host:port" + "/v2/x" style joins, and Location resolution:
// an absolute URL is kept, a path is taken relative to `base`'s origin.
std::string ResolveUrl(absl::string_view base, absl::string_view location);

// Appends "name=value" (value percent-encoded) to `url`'s query.
std::string AddQueryParam(absl::string_view url, absl::string_view name,
                          absl::string_view value);

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(absl::string_view s);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_HTTP_H_
