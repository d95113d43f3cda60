#include "client/progress/json_printer.h"

#include <sstream>

#include "client/progress/testing_events.h"
#include "gtest/gtest.h"

namespace farm::client::progress {
namespace {

using namespace testing;  // NOLINT: event builders

TEST(JsonPrinterTest, PrintsOneObjectPerLine) {
  std::ostringstream out;
  JsonPrinter printer(out);
  printer.OnAccepted("b-7");
  printer.OnEvent(Started(1, 2, "build", 1, 3, "RUN make", 0, "w-1"));
  proto::BuildEvent log = Log(2, 2, "caf\xc3\xa9 \xff!", 0.5);
  log.set_stream(2);
  printer.OnEvent(log);
  printer.OnEvent(Finished(3, proto::BuildEvent::STEP_DONE, 2, 1.25, 1.25));
  printer.OnEvent(Simple(4, proto::BuildEvent::WARNING, 0, "careful", 2));
  proto::BuildResult ok = Success("sha256:ab", {"app:1", "app:latest"});
  ok.set_manifest_digest("sha256:cd");
  ok.set_uploaded_bytes(10);
  ok.set_jobs_dispatched(1);
  printer.OnResult(ok);
  printer.OnResult(Failure("ignored after the first result"));

  EXPECT_EQ(
      out.str(),
      "{\"type\":\"accepted\",\"build_id\":\"b-7\"}\n"
      "{\"type\":\"event\",\"sequence\":1,\"kind\":\"STEP_STARTED\",\"step\":2,"
      "\"stage_index\":0,\"stage_name\":\"build\",\"instruction_index\":1,"
      "\"instruction_count\":3,\"text\":\"RUN make\",\"worker\":\"w-1\","
      "\"timestamp_unix_nanos\":1700000000000000000}\n"
      "{\"type\":\"event\",\"sequence\":2,\"kind\":\"STEP_LOG\",\"step\":2,"
      "\"text\":\"caf\xc3\xa9 \xef\xbf\xbd!\",\"stream\":2,"
      "\"timestamp_unix_nanos\":1700000000500000000}\n"
      "{\"type\":\"event\",\"sequence\":3,\"kind\":\"STEP_DONE\",\"step\":2,"
      "\"text\":\"\",\"duration_nanos\":1250000000,"
      "\"timestamp_unix_nanos\":1700000001250000000}\n"
      "{\"type\":\"event\",\"sequence\":4,\"kind\":\"WARNING\",\"step\":0,"
      "\"text\":\"careful\",\"timestamp_unix_nanos\":1700000002000000000}\n"
      "{\"type\":\"result\",\"ok\":true,\"image_id\":\"sha256:ab\","
      "\"manifest_digest\":\"sha256:cd\",\"tags\":[\"app:1\",\"app:latest\"],"
      "\"uploaded_bytes\":10,\"jobs_dispatched\":1,\"warnings\":[]}\n");
}

TEST(JsonPrinterTest, FailedResultCarriesTheError) {
  std::ostringstream out;
  JsonPrinter printer(out);
  printer.OnResult(Failure("Dockerfile:3: unknown instruction: RUNN"));
  EXPECT_EQ(out.str(),
            "{\"type\":\"result\",\"ok\":false,\"error_code\":3,\"error\":"
            "\"Dockerfile:3: unknown instruction: RUNN\",\"tags\":[],"
            "\"uploaded_bytes\":0,\"jobs_dispatched\":0,\"warnings\":[]}\n");
}

}  // namespace
}  // namespace farm::client::progress
