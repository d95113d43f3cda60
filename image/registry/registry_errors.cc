#include "image/registry/registry_errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

absl::StatusCode CodeFor(int http, const std::vector<RegistryErrorEntry>& es) {
  auto has = [&](absl::string_view code) {
    for (const auto& e : es) {
      if (e.code == code) return true;
    }
    return false;
  };
  if (http == 404) return absl::StatusCode::kNotFound;
  if (http == 401) return absl::StatusCode::kUnauthenticated;
  if (http == 403) return absl::StatusCode::kPermissionDenied;
  if (http == 429 || http >= 500) return absl::StatusCode::kUnavailable;
  if (http == 405) return absl::StatusCode::kUnimplemented;
  if (http == 416) return absl::StatusCode::kAborted;
  if (http == 400) {
    if (has("DIGEST_INVALID") || has("SIZE_INVALID")) {
      return absl::StatusCode::kDataLoss;
    }
    return absl::StatusCode::kInvalidArgument;
  }
  return absl::StatusCode::kUnknown;
}

std::string Advice(int http, const std::vector<RegistryErrorEntry>& es,
                   const ErrorContext& c) {
  std::string code = es.empty() ? "" : es.front().code;
  if (http == 401 || code == "UNAUTHORIZED") {
    return c.had_credentials
               ? absl::StrCat(
                     "the registry refused the stored credentials; "
                     "run farm login ",
                     c.domain)
               : absl::StrCat("run farm login ", c.domain);
  }
  if (http == 403 || code == "DENIED") {
    return absl::StrCat(
        "check that your account may access this repository, or run farm "
        "login ",
        c.domain, " as another user");
  }
  if (code == "NAME_UNKNOWN") return "check the repository name";
  if (http == 404) return c.not_found_hint;
  if (http == 429 || code == "TOOMANYREQUESTS") {
    return "the registry is limiting requests; wait and try again";
  }
  if (http >= 500) return "the registry failed; try again later";
  if (code == "DIGEST_INVALID" || code == "SIZE_INVALID") {
    return "the registry received different bytes than announced; push again";
  }
  if (code == "MANIFEST_BLOB_UNKNOWN") {
    return "a blob the manifest names is missing from the repository";
  }
  if (http == 405) return "the registry does not allow this operation";
  return "";
}

// For answers without a body, such as those to HEAD.
std::string StatusWords(int http) {
  switch (http) {
    case 401:
      return "authentication required";
    case 403:
      return "access denied";
    case 404:
      return "not found";
    case 429:
      return "too many requests";
    default:
      return http >= 500 ? "server error" : "request failed";
  }
}

}  // namespace

std::vector<RegistryErrorEntry> ParseErrorBody(absl::string_view body) {
  std::vector<RegistryErrorEntry> out;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return out;
  auto it = j.find("errors");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    RegistryErrorEntry entry;
    if (e.contains("code") && e["code"].is_string()) {
      entry.code = e["code"].get<std::string>();
    }
    if (e.contains("message") && e["message"].is_string()) {
      entry.message = e["message"].get<std::string>();
    }
    out.push_back(std::move(entry));
  }
  return out;
}

absl::Status ResponseError(const HttpResponse& response,
                           const ErrorContext& context) {
  std::vector<RegistryErrorEntry> entries = ParseErrorBody(response.body);
  std::vector<std::string> codes;
  std::string words;
  for (const auto& e : entries) {
    if (!e.code.empty()) codes.push_back(e.code);
    if (words.empty()) words = e.message;
  }
  if (words.empty()) {
    absl::string_view body = absl::StripAsciiWhitespace(response.body);
    words = body.empty() || body.size() > 200 ? StatusWords(response.status)
                                              : std::string(body);
  }
  std::string tags = codes.empty() ? "" : absl::StrJoin(codes, ", ") + ", ";
  std::string msg = absl::StrCat(context.what, ": ", words, " (", tags, "HTTP ",
                                 response.status, ")");
  std::string advice = Advice(response.status, entries, context);
  if (!advice.empty()) absl::StrAppend(&msg, ": ", advice);
  return absl::Status(CodeFor(response.status, entries), msg);
}

absl::Status UnreachableError(const absl::Status& transport_error,
                              absl::string_view domain) {
  return absl::Status(
      transport_error.code(),
      absl::StrCat("cannot reach registry ", domain, ": ",
                   transport_error.message(),
                   ": check the address and that the registry is running"));
}

}  // namespace farm::image::registry
