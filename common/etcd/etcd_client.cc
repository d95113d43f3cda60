#include "common/etcd/etcd_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/etcd/etcd_json.h"
#include "common/etcd/watch_sink.h"
#include "common/status_macros.h"

namespace farm::etcd {
namespace {

using image::registry::HttpRequest;
using image::registry::HttpResponse;

// Pause between rounds over all members while none answers, e.g. while
// the cluster elects a new raft leader.
constexpr absl::Duration kRoundPause = absl::Milliseconds(100);

// grpc-gateway turns this header into the call's deadline ("1500m").
std::string GrpcTimeout(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)), "m");
}

HttpRequest Post(const std::string& url, std::string body,
                 absl::Duration timeout) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = std::move(body);
  r.headers.Set("Content-Type", "application/json");
  r.headers.Set("Grpc-Timeout", GrpcTimeout(timeout));
  return r;
}

// Sleeps on `clock`, so that a simulated clock can end the pause.
void Pause(const Clock& clock, absl::Duration d) {
  absl::Mutex mu;
  static const bool kNever = false;
  absl::MutexLock lock(&mu);
  clock.AwaitWithDeadline(&mu, absl::Condition(&kNever), clock.Now() + d);
}

}  // namespace

std::vector<std::string> SplitEndpoints(absl::string_view csv) {
  std::vector<std::string> out;
  for (absl::string_view e : absl::StrSplit(csv, ',', absl::SkipWhitespace())) {
    e = absl::StripSuffix(absl::StripAsciiWhitespace(e), "/");
    out.emplace_back(e);
  }
  return out;
}

EtcdClient::EtcdClient(image::registry::HttpTransport* transport,
                       EtcdClientOptions options)
    : transport_(transport), options_(std::move(options)) {}

size_t EtcdClient::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void EtcdClient::SetCurrent(size_t i) {
  absl::MutexLock lock(&mu_);
  current_ = i;
}

absl::Status EtcdClient::TryMembers(Attempt attempt) {
  const size_t n = options_.endpoints.size();
  if (n == 0) return absl::FailedPreconditionError("no etcd endpoints");
  const absl::Time give_up = clock().Now() + options_.request_timeout;
  absl::Status last;
  size_t i = current();
  for (size_t tries = 1;; ++tries) {
    absl::Duration left = give_up - clock().Now();
    last = attempt(options_.endpoints[i],
                   std::max(absl::Milliseconds(1),
                            std::min(options_.attempt_timeout, left)));
    // An attempt that timed out may have met a member whose raft leader
    // just died (its proposal is lost); another member may do better.
    if (!absl::IsUnavailable(last) && !absl::IsDeadlineExceeded(last)) {
      SetCurrent(i);
      return last;
    }
    i = (i + 1) % n;
    if (tries % n == 0) {  // every member failed: let the cluster recover
      if (clock().Now() + kRoundPause >= give_up) break;
      Pause(clock(), kRoundPause);
    } else if (clock().Now() >= give_up) {
      break;
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "no etcd member answered within ",
      absl::FormatDuration(options_.request_timeout), ": ", last.message()));
}

absl::StatusOr<std::string> EtcdClient::Call(absl::string_view path,
                                             const std::string& body) {
  std::string answer;
  RETURN_IF_ERROR(TryMembers([&](const std::string& endpoint,
                                 absl::Duration timeout) -> absl::Status {
    ASSIGN_OR_RETURN(
        HttpResponse r,
        transport_->Send(Post(absl::StrCat(endpoint, path), body, timeout)));
    if (r.status < 200 || r.status >= 300) {
      return ErrorFromResponse(r.status, r.body);
    }
    answer = std::move(r.body);
    return absl::OkStatus();
  }));
  return answer;
}

absl::StatusOr<KeyValue> EtcdClient::Get(const std::string& key) {
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/kv/range", EncodeRange(key, false)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  ASSIGN_OR_RETURN(RangeResponse r, DecodeRange(j));
  if (r.kvs.empty()) {
    return absl::NotFoundError(absl::StrCat("etcd key ", key, " not found"));
  }
  return std::move(r.kvs.front());
}

absl::StatusOr<RangeResponse> EtcdClient::GetPrefix(const std::string& prefix) {
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/kv/range", EncodeRange(prefix, true)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  return DecodeRange(j);
}

absl::StatusOr<int64_t> EtcdClient::Put(const std::string& key,
                                        const std::string& value,
                                        int64_t lease) {
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/kv/put", EncodePut(key, value, lease)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  return DecodeHeaderRevision(j);
}

absl::StatusOr<int64_t> EtcdClient::Delete(const std::string& key) {
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/kv/deleterange", EncodeDelete(key, false)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  return Int64Field(j, "deleted");
}

absl::StatusOr<TxnResponse> EtcdClient::Txn(const TxnRequest& txn) {
  ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/txn", EncodeTxn(txn)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  return DecodeTxn(j);
}

absl::StatusOr<int64_t> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/lease/grant", EncodeLeaseGrant(ttl_seconds)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  auto error = j.find("error");
  if (error != j.end() && error->is_string() &&
      !error->get<std::string>().empty()) {
    return absl::InternalError(
        absl::StrCat("etcd lease grant: ", error->get<std::string>()));
  }
  return Int64Field(j, "ID");
}

absl::StatusOr<int64_t> EtcdClient::LeaseKeepAliveOnce(int64_t id) {
  // A one-message stream: {"result": {...}} or {"error": {...}}.
  ASSIGN_OR_RETURN(std::string body,
                   Call("/v3/lease/keepalive", EncodeLeaseId(id)));
  ASSIGN_OR_RETURN(Json j, ParseObject(body));
  RETURN_IF_ERROR(StreamError(j));
  auto result = j.find("result");
  if (result == j.end() || !result->is_object()) {
    return absl::InternalError("etcd lease keepalive: no result");
  }
  return Int64Field(*result, "TTL");
}

absl::Status EtcdClient::LeaseRevoke(int64_t id) {
  return Call("/v3/lease/revoke", EncodeLeaseId(id)).status();
}

absl::StatusOr<std::vector<WatchEvent>> EtcdClient::WatchOnce(
    const std::string& endpoint, const std::string& body,
    absl::Duration timeout, int64_t* created_revision) {
  WatchSink sink;
  absl::StatusOr<HttpResponse> r = transport_->Send(
      Post(absl::StrCat(endpoint, "/v3/watch"), body, timeout), &sink);
  if (!sink.done()) {
    RETURN_IF_ERROR(r.status());
    if (r->status < 200 || r->status >= 300) {
      return ErrorFromResponse(r->status, r->body);
    }
    RETURN_IF_ERROR(sink.Close());
  }
  if (sink.created_revision() > 0) *created_revision = sink.created_revision();
  // The server ended the round at its Grpc-Timeout, or the stream just ended.
  if (!sink.done() || absl::IsDeadlineExceeded(sink.outcome())) {
    return std::vector<WatchEvent>();
  }
  RETURN_IF_ERROR(sink.outcome());
  return std::move(sink.events());
}

absl::StatusOr<std::vector<WatchEvent>> EtcdClient::Watch(
    const std::string& key, bool prefix, int64_t start_revision,
    absl::Time deadline) {
  for (absl::Time now; (now = clock().Now()) < deadline;) {
    absl::Duration round = std::min(deadline - now, options_.watch_round);
    std::string body = EncodeWatchCreate(key, prefix, start_revision);
    std::vector<WatchEvent> events;
    int64_t created = 0;
    RETURN_IF_ERROR(TryMembers(
        [&](const std::string& endpoint, absl::Duration) -> absl::Status {
          ASSIGN_OR_RETURN(events, WatchOnce(endpoint, body, round, &created));
          return absl::OkStatus();
        }));
    if (!events.empty()) return events;
    // Watching "from now": the next round goes on from where this began.
    if (start_revision == 0 && created > 0) start_revision = created + 1;
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no change to etcd key ", key, " before the deadline"));
}

}  // namespace farm::etcd
