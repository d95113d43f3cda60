#include "image/fetch/url_parts.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/curl/libcurl.h"

namespace farm::image {
namespace {

// libcurl's URL API, bound from the library LoadLibCurl loaded.
struct UrlApi {
  CURLU* (*url)();
  void (*cleanup)(CURLU*);
  CURLUcode (*set)(CURLU*, CURLUPart, const char*, unsigned int);
  CURLUcode (*get)(const CURLU*, CURLUPart, char**, unsigned int);
  void (*free)(void*);
  const char* (*strerror)(CURLUcode);
};

absl::StatusOr<const UrlApi*> LoadUrlApi() {
  static UrlApi api;
  static absl::Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    status = LoadLibCurl().status();
    if (!status.ok()) return;
    // Already loaded by LoadLibCurl: this only takes another reference.
    void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    auto bind = [library](const char* name, auto* slot) {
      void* symbol = library == nullptr ? nullptr : dlsym(library, name);
      *slot = reinterpret_cast<std::remove_pointer_t<decltype(slot)>>(symbol);
      return symbol != nullptr;
    };
    if (!bind("curl_url", &api.url) ||
        !bind("curl_url_cleanup", &api.cleanup) ||
        !bind("curl_url_set", &api.set) || !bind("curl_url_get", &api.get) ||
        !bind("curl_free", &api.free) ||
        !bind("curl_url_strerror", &api.strerror)) {
      status = absl::UnavailableError("libcurl.so.4 lacks the curl_url API");
    }
  });
  if (!status.ok()) return status;
  return &api;
}

// One part, or "" when the URL has none.
std::string Part(const UrlApi& api, const CURLU* handle, CURLUPart what) {
  char* value = nullptr;
  if (api.get(handle, what, &value, 0) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string out = value;
  api.free(value);
  return out;
}

}  // namespace

absl::StatusOr<UrlParts> ParseUrlParts(const std::string& url) {
  ASSIGN_OR_RETURN(const UrlApi* api, LoadUrlApi());
  std::unique_ptr<CURLU, void (*)(CURLU*)> handle(api->url(), api->cleanup);
  if (handle == nullptr) return absl::InternalError("curl_url failed");
  CURLUcode rc = api->set(handle.get(), CURLUPART_URL, url.c_str(),
                          CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not a valid URL: ", api->strerror(rc)));
  }
  UrlParts parts;
  parts.scheme =
      absl::AsciiStrToLower(Part(*api, handle.get(), CURLUPART_SCHEME));
  parts.host = Part(*api, handle.get(), CURLUPART_HOST);
  if (parts.host.size() >= 2 && parts.host.front() == '[' &&
      parts.host.back() == ']') {
    parts.host = parts.host.substr(1, parts.host.size() - 2);
  }
  return parts;
}

}  // namespace farm::image
