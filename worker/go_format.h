// Go's fmt renderings that BuildKit writes into image history: created_by
// strings such as `CMD ["a" "b"]`, `VOLUME [/a /b]` and the HEALTHCHECK
// struct dump. farm must produce the same bytes, so the Go rules for %q,
// %v of a slice and time.Duration.String are reproduced here.
#ifndef FARM_WORKER_GO_FORMAT_H_
#define FARM_WORKER_GO_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::worker {

// strconv.Quote: a double-quoted string with Go escapes; printable UTF-8
// stays as it is, invalid bytes become \xHH.
std::string GoQuote(absl::string_view text);

// fmt's %q of an integer: a single-quoted rune literal ('a', '\x02',
// '\n'); values beyond Unicode print as the replacement character.
std::string GoQuoteRune(int64_t value);

// time.Duration(nanos).String(): "0s", "1.5s", "1m30s", "1h0m0s", "500ms",
// "1.2µs", "-3s".
std::string GoDuration(int64_t nanos);

// %q of a []string: ["a" "b c"].
std::string GoQuotedList(const std::vector<std::string>& items);

// %v of a []string: [a b c].
std::string GoList(const std::vector<std::string>& items);

}  // namespace farm::worker

#endif  // FARM_WORKER_GO_FORMAT_H_
