#include "image/registry/retry.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/registry_errors.h"

namespace farm::image::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingSleeper : public Sleeper {
 public:
  void Sleep(absl::Duration d) override { slept.push_back(d); }
  std::vector<absl::Duration> slept;
};

TEST(RetryTest, BacksOffExponentiallyUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff = absl::Milliseconds(100);
  p.max_backoff = absl::Milliseconds(500);
  p.max_attempts = 5;
  RecordingSleeper sleeper;
  int calls = 0;
  absl::Status s = Retry(p, sleeper, [&] {
    ++calls;
    return absl::UnavailableError("HTTP 503");
  });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("HTTP 503 (gave up after 5 attempts)"));
  EXPECT_THAT(sleeper.slept,
              ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200),
                          absl::Milliseconds(400), absl::Milliseconds(500)));
}

TEST(RetryTest, StopsOnSuccessOrOtherErrors) {
  RecordingSleeper sleeper;
  int calls = 0;
  absl::StatusOr<int> v =
      RetryOr<int>(RetryPolicy(), sleeper, [&]() -> absl::StatusOr<int> {
        if (++calls < 3) {
          return absl::UnavailableError("x");
        }
        return 42;
      });
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  EXPECT_EQ(sleeper.slept.size(), 2u);

  calls = 0;
  absl::Status s = Retry(RetryPolicy(), sleeper, [&] {
    ++calls;
    return absl::NotFoundError("gone");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s, absl::NotFoundError("gone"));
}

HttpResponse Response(int status, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.body = body;
  return r;
}

TEST(RegistryErrorsTest, CodesMessagesAndAdvice) {
  ErrorContext c;
  c.what = "pulling h:5000/app:1";
  c.domain = "h:5000";
  c.not_found_hint = "check that the tag exists";
  absl::Status s = ResponseError(
      Response(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN",)"
                    R"("message":"manifest unknown","detail":{"Tag":"1"}}]})"),
      c);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "pulling h:5000/app:1: manifest unknown (MANIFEST_UNKNOWN, HTTP "
            "404): check that the tag exists");

  s = ResponseError(Response(401, R"({"errors":[{"code":"UNAUTHORIZED",)"
                                  R"("message":"authentication required"}]})"),
                    c);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("(UNAUTHORIZED, HTTP 401): run farm login "
                        "h:5000"));
  c.had_credentials = true;
  s = ResponseError(Response(401, ""), c);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("refused the stored credentials"));

  s = ResponseError(Response(403, R"({"errors":[{"code":"DENIED"}]})"), c);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("may access this repository"));

  s = ResponseError(Response(503, "upstream down"), c);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("upstream down (HTTP 503)"));

  s = ResponseError(Response(429, ""), c);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  s = ResponseError(
      Response(400, R"({"errors":[{"code":"DIGEST_INVALID","message":"m"}]})"),
      c);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  s = ResponseError(
      Response(400, R"({"errors":[{"code":"NAME_INVALID","message":"m"}]})"),
      c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResponseError(Response(405, ""), c).code(),
            absl::StatusCode::kUnimplemented);

  absl::Status down =
      UnreachableError(absl::UnavailableError("GET x: refused"), "h:5000");
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(down.message(),
            "cannot reach registry h:5000: GET x: refused: check the address "
            "and that the registry is running");
}

}  // namespace
}  // namespace farm::image::registry
