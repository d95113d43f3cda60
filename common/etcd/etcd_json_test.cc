#include "common/etcd/etcd_json.h"

#include "common/etcd/etcd_client.h"
#include "common/etcd/watch_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PrefixRangeEndTest, IncrementsTheLastByteBelowFf) {
  EXPECT_EQ(PrefixRangeEnd("a/"), "a0");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff", 1)), std::string(1, '\0'));
}

TEST(SplitEndpointsTest, DropsEmptiesAndTrailingSlashes) {
  EXPECT_THAT(SplitEndpoints(" http://a:1/, ,http://b:2"),
              ElementsAre("http://a:1", "http://b:2"));
}

TEST(EtcdJsonTest, EncodesTxnWithBase64AndStringInts) {
  TxnRequest txn;
  txn.compares = {Compare::Absent("k"), Compare::ValueEquals("k", "v")};
  txn.success = {Op::Put("k", "v", 7)};
  txn.failure = {Op::Get("p/", /*prefix=*/true)};
  Json j = Json::parse(EncodeTxn(txn));
  EXPECT_EQ(j["compare"][0], Json({{"key", "aw=="},
                                   {"result", "EQUAL"},
                                   {"target", "CREATE"},
                                   {"create_revision", "0"}}));
  EXPECT_EQ(j["compare"][1]["target"], "VALUE");
  EXPECT_EQ(j["compare"][1]["value"], "dg==");
  EXPECT_EQ(j["success"][0]["request_put"]["lease"], "7");
  EXPECT_EQ(j["failure"][0]["request_range"]["range_end"], "cDA=");  // "p0"
}

TEST(EtcdJsonTest, Int64FieldTakesStringsAndNumbers) {
  Json j = {{"a", "12"}, {"b", 13}, {"c", "x"}};
  EXPECT_EQ(*Int64Field(j, "a"), 12);
  EXPECT_EQ(*Int64Field(j, "b"), 13);
  EXPECT_EQ(*Int64Field(j, "missing"), 0);
  EXPECT_EQ(Int64Field(j, "c").status().code(), absl::StatusCode::kInternal);
}

TEST(EtcdJsonTest, DecodesTxnRanges) {
  auto j = ParseObject(R"({"header":{"revision":"9"},"succeeded":true,
      "responses":[{"response_put":{"header":{}}},
                   {"response_range":{"kvs":[{"key":"aw==","value":"dg==",
                     "create_revision":"3","mod_revision":"5","version":"2",
                     "lease":"77"}]}}]})");
  ASSERT_TRUE(j.ok());
  absl::StatusOr<TxnResponse> r = DecodeTxn(*j);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(r->revision, 9);
  ASSERT_EQ(r->ranges.size(), 2u);
  EXPECT_TRUE(r->ranges[0].empty());
  ASSERT_EQ(r->ranges[1].size(), 1u);
  const KeyValue& kv = r->ranges[1][0];
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.value, "v");
  EXPECT_EQ(kv.create_revision, 3);
  EXPECT_EQ(kv.mod_revision, 5);
  EXPECT_EQ(kv.version, 2);
  EXPECT_EQ(kv.lease, 77);
}

TEST(EtcdJsonTest, ErrorsKeepEtcdsGrpcCode) {
  absl::Status s = ErrorFromResponse(
      404, R"({"error":"etcdserver: requested lease not found",)"
           R"("message":"etcdserver: requested lease not found","code":5})");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("lease not found"));
  EXPECT_EQ(ErrorFromResponse(503, "bad gateway").code(),
            absl::StatusCode::kUnavailable);
}

TEST(WatchSinkTest, StopsAtTheFirstEventsAcrossChunks) {
  WatchSink sink;
  std::string created =
      R"({"result":{"header":{"revision":"4"},"created":true}})"
      "\n";
  std::string events =
      R"({"result":{"header":{"revision":"5"},"events":[)"
      R"({"kv":{"key":"aw==","value":"dg==","mod_revision":"5"}},)"
      R"({"type":"DELETE","kv":{"key":"aw==","mod_revision":"6"}}]}})"
      "\n";
  EXPECT_TRUE(sink.Write(created + events.substr(0, 20)).ok());
  EXPECT_FALSE(sink.done());
  EXPECT_EQ(sink.created_revision(), 4);
  EXPECT_FALSE(sink.Write(events.substr(20)).ok());  // stops the transfer
  ASSERT_TRUE(sink.done());
  ASSERT_TRUE(sink.outcome().ok());
  ASSERT_EQ(sink.events().size(), 2u);
  EXPECT_EQ(sink.events()[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(sink.events()[0].kv.value, "v");
  EXPECT_EQ(sink.events()[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(sink.events()[1].kv.mod_revision, 6);
}

TEST(WatchSinkTest, ReportsErrorLinesAndCompaction) {
  WatchSink timeout;
  EXPECT_TRUE(timeout
                  .Write(R"({"error":{"grpc_code":4,"http_code":504,)"
                         R"("message":"context deadline exceeded"}})")
                  .ok());
  EXPECT_TRUE(timeout.Close().ok());  // the last line had no newline
  ASSERT_TRUE(timeout.done());
  EXPECT_EQ(timeout.outcome().code(), absl::StatusCode::kDeadlineExceeded);

  // The gateway's own deadline comes as kUnknown at times.
  WatchSink gateway;
  gateway
      .Write(R"({"error":{"grpc_code":2,"http_code":500,)"
             R"("message":"context deadline exceeded"}})"
             "\n")
      .IgnoreError();
  EXPECT_EQ(gateway.outcome().code(), absl::StatusCode::kDeadlineExceeded);

  WatchSink compacted;
  compacted
      .Write(R"({"result":{"canceled":true,"compact_revision":"10"}})"
             "\n")
      .IgnoreError();
  EXPECT_EQ(compacted.outcome().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace farm::etcd
