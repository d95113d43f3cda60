#include "client/progress/plain_printer.h"

#include <sstream>

#include "client/progress/testing_events.h"
#include "gtest/gtest.h"

namespace farm::client::progress {
namespace {

using namespace testing;  // NOLINT: event builders

TEST(PlainPrinterTest, PrintsAnEmbeddedBuildLikeBuildKit) {
  std::ostringstream out;
  SimulatedClock clock;
  PlainPrinter printer(out, {false, &clock});
  printer.OnEvent(Started(0, -1, "internal", 0, 0,
                          "load build definition from Dockerfile", 0.0));
  printer.OnEvent(Simple(0, proto::BuildEvent::INFO, -1,
                         "transferring dockerfile: 120B done", 0.01));
  printer.OnEvent(Finished(0, proto::BuildEvent::STEP_DONE, -1, 0.01, 0.01));
  printer.OnAccepted("b-42");
  printer.OnEvent(Started(1, 1, "0", 0, 3, "FROM busybox:latest", 0.1, "w"));
  printer.OnEvent(Finished(2, proto::BuildEvent::STEP_CACHED, 1, 0, 0.1,
                           "FROM busybox:latest", "w"));
  printer.OnEvent(
      Started(3, 2, "0", 1, 3, "RUN echo hello && echo world", 0.2, "w"));
  printer.OnEvent(Log(4, 2, "hello\nworld\n", 0.305));
  printer.OnEvent(Finished(5, proto::BuildEvent::STEP_DONE, 2, 0.42, 0.62));
  printer.OnEvent(Started(6, 3, "0", 2, 3, "COPY app /app", 0.7));
  printer.OnEvent(Finished(7, proto::BuildEvent::STEP_DONE, 3, 0.06, 0.76));
  printer.OnResult(Success("sha256:abc", {"docker.io/library/app:1.0"}));
  // Late calls are ignored.
  printer.OnEvent(Log(8, 3, "late", 1.0));
  printer.OnResult(Failure("late"));

  EXPECT_EQ(out.str(),
            "#1 [internal] load build definition from Dockerfile\n"
            "#1 transferring dockerfile: 120B done\n"
            "#1 DONE 0.0s\n"
            "\n"
            "#0 build b-42\n"
            "\n"
            "#2 [stage-0 1/3] FROM busybox:latest\n"
            "#2 CACHED\n"
            "\n"
            "#3 [stage-0 2/3] RUN echo hello && echo world\n"
            "#3 0.105 hello\n"
            "#3 0.105 world\n"
            "#3 DONE 0.4s\n"
            "\n"
            "#4 [stage-0 3/3] COPY app /app\n"
            "#4 DONE 0.1s\n"
            "\n"
            "#5 exporting to image\n"
            "#5 writing image sha256:abc done\n"
            "#5 naming to docker.io/library/app:1.0 done\n");
}

TEST(PlainPrinterTest, PrintsTheDashboardPageAfterTheBuildId) {
  std::ostringstream out;
  SimulatedClock clock;
  PlainPrinter printer(out, {false, &clock});
  printer.OnAccepted("b-42");
  printer.OnDashboard("https://farm.example:7443/builds/b-42");
  EXPECT_EQ(out.str(),
            "#0 build b-42\n"
            "#0 view it at https://farm.example:7443/builds/b-42\n");
}

TEST(PlainPrinterTest, NamesWorkersOfRemoteBuildsAndInterleavesSteps) {
  std::ostringstream out;
  SimulatedClock clock;
  PlainPrinter printer(out, {true, &clock});
  printer.OnEvent(Started(1, 1, "build", 0, 2, "FROM golang", 0.0, "w-1"));
  printer.OnEvent(Started(2, 2, "app", 0, 2, "FROM busybox", 0.0));
  printer.OnEvent(Log(3, 1, "compiling", 0.5));
  printer.OnEvent(
      Finished(4, proto::BuildEvent::STEP_DONE, 2, 1.0, 1.0, "", "w-2"));
  printer.OnEvent(
      Finished(5, proto::BuildEvent::STEP_DONE, 1, 2.5, 2.5, "", "w-1"));
  proto::BuildResult result = Success("sha256:def", {"app:2"});
  result.set_uploaded_bytes(12345);
  result.set_jobs_dispatched(2);
  printer.OnResult(result);

  EXPECT_EQ(out.str(),
            "#1 [build 1/2] FROM golang (worker w-1)\n"
            "\n"
            "#2 [app 1/2] FROM busybox\n"
            "\n"
            "#1 0.500 compiling\n"
            "\n"
            "#2 DONE 1.0s (worker w-2)\n"
            "\n"
            "#1 DONE 2.5s\n"
            "\n"
            "#3 exporting to image\n"
            "#3 writing image sha256:def done\n"
            "#3 naming to app:2 done\n"
            "#3 context uploaded: 12.35kB, stage jobs dispatched: 2\n");
}

TEST(PlainPrinterTest, PrintsStepErrorsAndTheBuildError) {
  std::ostringstream out;
  SimulatedClock clock;
  PlainPrinter printer(out, {false, &clock});
  printer.OnEvent(Started(1, 1, "0", 1, 2, "RUN false", 0.0));
  printer.OnEvent(Log(2, 1, "oops\r\n", 0.2));
  printer.OnEvent(Finished(3, proto::BuildEvent::STEP_ERROR, 1, 0.3, 0.3,
                           "RUN false: exit code 1\nDockerfile:2"));
  printer.OnResult(Failure("Dockerfile:2: RUN false: exit code 1"));
  EXPECT_EQ(out.str(),
            "#1 [stage-0 2/2] RUN false\n"
            "#1 0.200 oops\n"
            "#1 ERROR: RUN false: exit code 1\n"
            "#1 Dockerfile:2\n"
            "\n"
            "ERROR: Dockerfile:2: RUN false: exit code 1\n");
}

TEST(PlainPrinterTest, PrintsMessagesAndWarnings) {
  std::ostringstream out;
  SimulatedClock clock;
  PlainPrinter printer(out, {false, &clock});
  printer.OnEvent(Simple(1, proto::BuildEvent::INFO, 0,
                         "connection lost; re-attaching", 0.0));
  printer.OnEvent(Simple(2, proto::BuildEvent::WARNING, 0,
                         "FromAsCasing: 'as' and 'FROM' keywords' casing "
                         "do not match (Dockerfile:1)",
                         0.0));
  // A log line for a step never announced still gets a header; without
  // timestamps the client clock times it.
  proto::BuildEvent log = Log(3, 4, "output", 0);
  log.set_timestamp_unix_nanos(0);
  clock.Advance(absl::Milliseconds(250));
  printer.OnEvent(log);
  printer.OnEvent(Simple(4, proto::BuildEvent::WARNING, 4, "careful", 0.0));
  proto::BuildResult result = Failure("cancelled");
  result.add_warnings("1 warning found");
  printer.OnResult(result);
  EXPECT_EQ(out.str(),
            "connection lost; re-attaching\n"
            "WARNING: FromAsCasing: 'as' and 'FROM' keywords' casing do not "
            "match (Dockerfile:1)\n"
            "\n"
            "#1 step 4\n"
            "#1 0.000 output\n"
            "#1 WARNING: careful\n"
            "\n"
            "WARNING: 1 warning found\n"
            "\n"
            "ERROR: cancelled\n");
}

}  // namespace
}  // namespace farm::client::progress
