// The JSON of etcd's v3 gRPC gateway: request bodies in, typed results out.
// Pure functions, so the wire format is tested without an etcd. Bytes are
// base64; int64 fields come as strings ("12") but numbers are accepted too.
#ifndef FARM_COMMON_ETCD_ETCD_JSON_H_
#define FARM_COMMON_ETCD_ETCD_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/etcd/etcd_types.h"
#include "nlohmann/json.hpp"

namespace farm::etcd {

using Json = nlohmann::json;

// Bodies for /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn.
std::string EncodeRange(const std::string& key, bool prefix);
std::string EncodePut(const std::string& key, const std::string& value,
                      int64_t lease);
std::string EncodeDelete(const std::string& key, bool prefix);
std::string EncodeTxn(const TxnRequest& txn);
// /v3/lease/grant, and /v3/lease/keepalive and /v3/lease/revoke (an ID).
std::string EncodeLeaseGrant(int64_t ttl_seconds);
std::string EncodeLeaseId(int64_t id);
// The create_request that opens a /v3/watch stream.
std::string EncodeWatchCreate(const std::string& key, bool prefix,
                              int64_t start_revision);

// Parses a body that must be a JSON object; kInternal otherwise.
absl::StatusOr<Json> ParseObject(absl::string_view body);

// The status of a non-2xx answer: the gateway's {"code": <gRPC code>,
// "message": ...} when present (gRPC and absl codes agree), else a code
// from the HTTP status (503 → kUnavailable).
absl::Status ErrorFromResponse(int http_status, absl::string_view body);

// The error of a streamed answer ({"error": {"grpc_code": 4, ...}}), OK
// when there is none.
absl::Status StreamError(const Json& body);

// An int64 field given as a string or a number; 0 when absent.
absl::StatusOr<int64_t> Int64Field(const Json& object, const char* name);

absl::StatusOr<RangeResponse> DecodeRange(const Json& body);
absl::StatusOr<TxnResponse> DecodeTxn(const Json& body);
// The "revision" of a response's "header".
absl::StatusOr<int64_t> DecodeHeaderRevision(const Json& body);

// One line of a /v3/watch stream.
struct WatchMessage {
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0;  // set when the start revision is compacted
  int64_t revision = 0;
  std::vector<WatchEvent> events;
  // The stream's own error line ({"error": {"grpc_code": 4, ...}}), e.g.
  // kDeadlineExceeded when the Grpc-Timeout ran out.
  absl::Status error;
};
absl::StatusOr<WatchMessage> DecodeWatchLine(absl::string_view line);

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_ETCD_JSON_H_
