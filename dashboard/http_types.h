// HttpRequest and HttpResponse: the dashboard's requests as plain values,
// so that its routes are tested without sockets. The civetweb glue
// (http_server.h) fills them in and writes them out.
#ifndef FARM_DASHBOARD_HTTP_TYPES_H_
#define FARM_DASHBOARD_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::dashboard {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // decoded, without the query: "/api/builds/b1"
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The client certificate that TLS verified against the client CA, as
  // PEM; "" when none was presented.
  std::string client_certificate_pem;
  bool secure = false;  // arrived over TLS
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Writes bytes of a streamed answer; false once the browser has gone.
using StreamWriter = std::function<bool(absl::string_view)>;

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_HTTP_TYPES_H_
