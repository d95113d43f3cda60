#include "image/curl/libcurl.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"

namespace farm::image {

namespace {

LibCurl table;
absl::Status load_status;

template <typename T>
bool Bind(void* library, const char* name, T* slot, std::string* missing) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) {
    *missing = name;
    return false;
  }
  *slot = reinterpret_cast<T>(symbol);
  return true;
}

absl::Status Load() {
  void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot load libcurl.so.4 (install libcurl4): ", dlerror()));
  }
  std::string missing;
  CURLcode (*global_init)(long) = nullptr;
  bool ok =
      Bind(library, "curl_global_init", &global_init, &missing) &&
      Bind(library, "curl_easy_init", &table.easy_init, &missing) &&
      Bind(library, "curl_easy_setopt", &table.easy_setopt, &missing) &&
      Bind(library, "curl_easy_perform", &table.easy_perform, &missing) &&
      Bind(library, "curl_easy_getinfo", &table.easy_getinfo, &missing) &&
      Bind(library, "curl_easy_reset", &table.easy_reset, &missing) &&
      Bind(library, "curl_easy_cleanup", &table.easy_cleanup, &missing) &&
      Bind(library, "curl_easy_strerror", &table.easy_strerror, &missing) &&
      Bind(library, "curl_slist_append", &table.slist_append, &missing) &&
      Bind(library, "curl_slist_free_all", &table.slist_free_all, &missing) &&
      Bind(library, "curl_easy_pause", &table.easy_pause, &missing) &&
      Bind(library, "curl_multi_init", &table.multi_init, &missing) &&
      Bind(library, "curl_multi_add_handle", &table.multi_add_handle,
           &missing) &&
      Bind(library, "curl_multi_remove_handle", &table.multi_remove_handle,
           &missing) &&
      Bind(library, "curl_multi_perform", &table.multi_perform, &missing) &&
      Bind(library, "curl_multi_poll", &table.multi_poll, &missing) &&
      Bind(library, "curl_multi_info_read", &table.multi_info_read, &missing) &&
      Bind(library, "curl_multi_cleanup", &table.multi_cleanup, &missing);
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("libcurl.so.4 lacks ", missing));
  }
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return absl::UnavailableError("curl_global_init failed");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<const LibCurl*> LoadLibCurl() {
  static std::once_flag once;
  std::call_once(once, [] { load_status = Load(); });
  if (!load_status.ok()) return load_status;
  return &table;
}

const LibCurl& LoadedLibCurl() { return table; }

}  // namespace farm::image
