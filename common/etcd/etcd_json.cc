#include "common/etcd/etcd_json.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::etcd {
namespace {

std::string B64(const std::string& bytes) { return absl::Base64Escape(bytes); }

// {"key": ..., "range_end": ...} for one key or a prefix.
Json KeyRange(const std::string& key, bool prefix) {
  Json j = {{"key", B64(key)}};
  if (prefix) j["range_end"] = B64(PrefixRangeEnd(key));
  return j;
}

Json PutJson(const std::string& key, const std::string& value, int64_t lease) {
  Json j = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) j["lease"] = absl::StrCat(lease);
  return j;
}

Json CompareJson(const Compare& c) {
  Json j = {{"key", B64(c.key)}, {"result", "EQUAL"}};
  switch (c.target) {
    case Compare::Target::kValue:
      j["target"] = "VALUE";
      j["value"] = B64(c.value);
      break;
    case Compare::Target::kCreateRevision:
      j["target"] = "CREATE";
      j["create_revision"] = absl::StrCat(c.number);
      break;
    case Compare::Target::kModRevision:
      j["target"] = "MOD";
      j["mod_revision"] = absl::StrCat(c.number);
      break;
    case Compare::Target::kVersion:
      j["target"] = "VERSION";
      j["version"] = absl::StrCat(c.number);
      break;
  }
  return j;
}

Json OpJson(const Op& op) {
  switch (op.type) {
    case Op::Type::kPut:
      return {{"request_put", PutJson(op.key, op.value, op.lease)}};
    case Op::Type::kDelete:
      return {{"request_delete_range", KeyRange(op.key, op.prefix)}};
    case Op::Type::kRange:
      break;
  }
  return {{"request_range", KeyRange(op.key, op.prefix)}};
}

absl::StatusOr<std::string> BytesField(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  std::string out;
  if (!it->is_string() || !absl::Base64Unescape(it->get<std::string>(), &out)) {
    return absl::InternalError(
        absl::StrCat("etcd answered a bad base64 field \"", name, "\""));
  }
  return out;
}

bool BoolField(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string StringField(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The member `name` if it is an object, else an empty object.
const Json& ObjectField(const Json& object, const char* name) {
  static const Json* empty = new Json(Json::object());
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : *empty;
}

absl::StatusOr<KeyValue> DecodeKeyValue(const Json& j) {
  KeyValue kv;
  ASSIGN_OR_RETURN(kv.key, BytesField(j, "key"));
  ASSIGN_OR_RETURN(kv.value, BytesField(j, "value"));
  ASSIGN_OR_RETURN(kv.create_revision, Int64Field(j, "create_revision"));
  ASSIGN_OR_RETURN(kv.mod_revision, Int64Field(j, "mod_revision"));
  ASSIGN_OR_RETURN(kv.version, Int64Field(j, "version"));
  ASSIGN_OR_RETURN(kv.lease, Int64Field(j, "lease"));
  return kv;
}

absl::StatusOr<std::vector<KeyValue>> DecodeKvs(const Json& body) {
  std::vector<KeyValue> kvs;
  auto it = body.find("kvs");
  if (it == body.end() || !it->is_array()) return kvs;
  for (const Json& j : *it) {
    if (!j.is_object()) return absl::InternalError("etcd answered a bad kv");
    ASSIGN_OR_RETURN(KeyValue kv, DecodeKeyValue(j));
    kvs.push_back(std::move(kv));
  }
  return kvs;
}

absl::StatusOr<WatchEvent> DecodeEvent(const Json& j) {
  WatchEvent e;
  auto type = j.find("type");
  if (type != j.end() && type->is_string() && *type == "DELETE") {
    e.type = WatchEvent::Type::kDelete;
  }
  ASSIGN_OR_RETURN(e.kv, DecodeKeyValue(ObjectField(j, "kv")));
  return e;
}

// A gRPC status from etcd. The gateway reports its own deadline as
// kUnknown "context deadline exceeded" at times; give it its real code.
absl::Status EtcdStatus(int64_t code, const std::string& message) {
  if (code <= 0 || code > 16)
    code = static_cast<int64_t>(absl::StatusCode::kUnknown);
  if (code == static_cast<int64_t>(absl::StatusCode::kUnknown)) {
    if (message == "context deadline exceeded") {
      code = static_cast<int64_t>(absl::StatusCode::kDeadlineExceeded);
    } else if (message == "context canceled") {
      code = static_cast<int64_t>(absl::StatusCode::kCancelled);
    }
  }
  return absl::Status(static_cast<absl::StatusCode>(code),
                      absl::StrCat("etcd: ", message));
}

}  // namespace

std::string EncodeRange(const std::string& key, bool prefix) {
  return KeyRange(key, prefix).dump();
}

std::string EncodePut(const std::string& key, const std::string& value,
                      int64_t lease) {
  return PutJson(key, value, lease).dump();
}

std::string EncodeDelete(const std::string& key, bool prefix) {
  return KeyRange(key, prefix).dump();
}

std::string EncodeTxn(const TxnRequest& txn) {
  Json j = {{"compare", Json::array()},
            {"success", Json::array()},
            {"failure", Json::array()}};
  for (const Compare& c : txn.compares) j["compare"].push_back(CompareJson(c));
  for (const Op& op : txn.success) j["success"].push_back(OpJson(op));
  for (const Op& op : txn.failure) j["failure"].push_back(OpJson(op));
  return j.dump();
}

std::string EncodeLeaseGrant(int64_t ttl_seconds) {
  return Json{{"TTL", absl::StrCat(ttl_seconds)}}.dump();
}

std::string EncodeLeaseId(int64_t id) {
  return Json{{"ID", absl::StrCat(id)}}.dump();
}

std::string EncodeWatchCreate(const std::string& key, bool prefix,
                              int64_t start_revision) {
  Json create = KeyRange(key, prefix);
  if (start_revision > 0) {
    create["start_revision"] = absl::StrCat(start_revision);
  }
  return Json{{"create_request", create}}.dump();
}

absl::StatusOr<Json> ParseObject(absl::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InternalError(
        absl::StrCat("etcd answered something other than a JSON object: ",
                     body.substr(0, 200)));
  }
  return j;
}

absl::Status ErrorFromResponse(int http_status, absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (j.ok()) {
    absl::StatusOr<int64_t> code = Int64Field(*j, "code");
    if (code.ok() && *code != 0) {
      return EtcdStatus(*code, StringField(*j, "message"));
    }
  }
  std::string text = absl::StrCat("etcd answered HTTP ", http_status, ": ",
                                  body.substr(0, 200));
  switch (http_status) {
    case 404:
      return absl::NotFoundError(text);
    case 400:
      return absl::InvalidArgumentError(text);
    case 503:
      return absl::UnavailableError(text);
    case 504:
      return absl::DeadlineExceededError(text);
    default:
      return absl::InternalError(text);
  }
}

absl::Status StreamError(const Json& body) {
  auto error = body.find("error");
  if (error == body.end() || !error->is_object()) return absl::OkStatus();
  absl::StatusOr<int64_t> code = Int64Field(*error, "grpc_code");
  return EtcdStatus(code.ok() ? *code : 0, StringField(*error, "message"));
}

absl::StatusOr<int64_t> Int64Field(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t n = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &n)) {
    return n;
  }
  return absl::InternalError(
      absl::StrCat("etcd answered a bad int64 field \"", name, "\""));
}

absl::StatusOr<int64_t> DecodeHeaderRevision(const Json& body) {
  return Int64Field(ObjectField(body, "header"), "revision");
}

absl::StatusOr<RangeResponse> DecodeRange(const Json& body) {
  RangeResponse r;
  ASSIGN_OR_RETURN(r.kvs, DecodeKvs(body));
  ASSIGN_OR_RETURN(r.revision, DecodeHeaderRevision(body));
  return r;
}

absl::StatusOr<TxnResponse> DecodeTxn(const Json& body) {
  TxnResponse r;
  r.succeeded = BoolField(body, "succeeded");
  ASSIGN_OR_RETURN(r.revision, DecodeHeaderRevision(body));
  auto responses = body.find("responses");
  if (responses == body.end() || !responses->is_array()) return r;
  for (const Json& op : *responses) {
    if (!op.is_object()) return absl::InternalError("etcd answered a bad op");
    // Only range answers carry kvs; put and delete answers give none.
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs,
                     DecodeKvs(ObjectField(op, "response_range")));
    r.ranges.push_back(std::move(kvs));
  }
  return r;
}

absl::StatusOr<WatchMessage> DecodeWatchLine(absl::string_view line) {
  ASSIGN_OR_RETURN(Json j, ParseObject(line));
  WatchMessage m;
  m.error = StreamError(j);
  if (!m.error.ok()) return m;
  const Json& result = ObjectField(j, "result");
  m.created = BoolField(result, "created");
  m.canceled = BoolField(result, "canceled");
  ASSIGN_OR_RETURN(m.compact_revision, Int64Field(result, "compact_revision"));
  ASSIGN_OR_RETURN(m.revision, DecodeHeaderRevision(result));
  auto events = result.find("events");
  if (events != result.end() && events->is_array()) {
    for (const Json& e : *events) {
      if (!e.is_object()) return absl::InternalError("bad watch event");
      ASSIGN_OR_RETURN(WatchEvent event, DecodeEvent(e));
      m.events.push_back(std::move(event));
    }
  }
  return m;
}

}  // namespace farm::etcd
