// LibCurl: the libcurl functions farm uses, loaded with dlopen the first
// time farm speaks HTTP. Linking libcurl loads its ~30 dependencies
// (Kerberos, LDAP, GnuTLS, ...) into every `farm` command at start-up,
// about 3 ms each time, and most commands never make a request.
#ifndef FARM_IMAGE_CURL_LIBCURL_H_
#define FARM_IMAGE_CURL_LIBCURL_H_

#include <curl/curl.h>

#include "absl/status/statusor.h"

namespace farm::image {

struct LibCurl {
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_reset)(CURL*);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLcode (*easy_pause)(CURL*, int);
  // The multi interface: many transfers on one thread (cache/s3).
  CURLM* (*multi_init)();
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd*, unsigned int, int, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  CURLMcode (*multi_cleanup)(CURLM*);
};

// Loads libcurl.so.4 and runs curl_global_init, once per process; later
// calls return the same table. Thread-safe. kUnavailable naming the library
// when it cannot be loaded.
absl::StatusOr<const LibCurl*> LoadLibCurl();

// The table LoadLibCurl returned; only for code that holds a CURL handle,
// which exists only once the library is loaded.
const LibCurl& LoadedLibCurl();

}  // namespace farm::image

#endif  // FARM_IMAGE_CURL_LIBCURL_H_
