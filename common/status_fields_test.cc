#include "common/status_fields.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/build.pb.h"
#include "proto/worker.pb.h"

namespace farm {
namespace {

// A message with the error fields but no `ok`.
struct ErrorOnly {
  int error_code_ = 0;
  std::string error_;
  void set_error_code(int code) { error_code_ = code; }
  void set_error(std::string error) { error_ = std::move(error); }
  int error_code() const { return error_code_; }
  const std::string& error() const { return error_; }
};

TEST(StatusFieldsTest, FailureRoundTripsThroughAJobResult) {
  proto::JobResult result;
  SetStatusFields(absl::ResourceExhaustedError("disk full"), &result);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(result.error(), "disk full");
  EXPECT_EQ(StatusFromFields(result),
            absl::ResourceExhaustedError("disk full"));
}

TEST(StatusFieldsTest, SuccessSetsOkAndLeavesTheErrorFields) {
  proto::BuildResult result;
  result.set_error("stale");
  SetStatusFields(absl::OkStatus(), &result);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.error_code(), 0);
  EXPECT_EQ(result.error(), "stale");
  EXPECT_TRUE(StatusFromFields(result).ok());
}

TEST(StatusFieldsTest, FailureWithoutACodeReadsAsUnknown) {
  proto::JobResult result;
  result.set_ok(false);
  result.set_error("worker crashed");
  EXPECT_EQ(StatusFromFields(result), absl::UnknownError("worker crashed"));
  EXPECT_EQ(StatusFromFields(proto::BuildResult()), absl::UnknownError(""));
}

TEST(StatusFieldsTest, MessagesWithoutOkUseTheErrorFieldsAlone) {
  ErrorOnly message;
  SetStatusFields(absl::OkStatus(), &message);
  EXPECT_TRUE(StatusFromFields(message).ok());
  SetStatusFields(absl::NotFoundError("no blob"), &message);
  EXPECT_EQ(StatusFromFields(message), absl::NotFoundError("no blob"));
  ErrorOnly text_only;
  text_only.set_error("lost");
  EXPECT_EQ(StatusFromFields(text_only), absl::UnknownError("lost"));
}

}  // namespace
}  // namespace farm
