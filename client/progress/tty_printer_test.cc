#include "client/progress/tty_printer.h"

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/progress/testing_events.h"
#include "client/progress/text_format.h"
#include "client/progress/tty_frame.h"
#include "gtest/gtest.h"

namespace farm::client::progress {
namespace {

using namespace testing;  // NOLINT: event builders

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// Three steps: an internal one done, a cached FROM, and a RUN that started
// a second in and has logged three lines.
StepTracker ThreeSteps() {
  StepTracker tracker(6);
  bool created;
  tracker.Apply(Started(0, -1, "internal", 0, 0,
                        "load build definition from Dockerfile", 0),
                kStart, &created);
  tracker.Apply(Finished(0, proto::BuildEvent::STEP_DONE, -1, 0.01, 0.01),
                kStart, &created);
  tracker.Apply(Started(1, 1, "0", 0, 3, "FROM busybox:latest", 0), kStart,
                &created);
  tracker.Apply(Simple(2, proto::BuildEvent::STEP_CACHED, 1, "", 0), kStart,
                &created);
  const absl::Time run_start = kStart + absl::Seconds(1);
  tracker.Apply(Started(3, 2, "0", 1, 3, "RUN make -j4 all install", 1),
                run_start, &created);
  tracker.Apply(Log(4, 2, "cc -c a.c\ncc -c b.c\n", 1.5), run_start, &created);
  tracker.Apply(Log(5, 2, "\x1b[32mok\x1b[0m\ttab", 1.6), run_start, &created);
  return tracker;
}

FrameInput Input(const StepTracker& tracker, int width, int height) {
  FrameInput in;
  in.steps = &tracker.steps();
  in.now = kStart + absl::Milliseconds(3500);
  in.elapsed = absl::Milliseconds(3500);
  in.width = width;
  in.height = height;
  return in;
}

TEST(TtyFrameTest, ShowsRunningStepsWithTimersAndLogs) {
  StepTracker tracker = ThreeSteps();
  EXPECT_EQ(RenderFrame(Input(tracker, 50, 24)),
            (std::vector<std::string>{
                "[+] Building 3.5s (2/3)",
                " => [internal] load build definition from Do 0.0s",
                " => CACHED [stage-0 1/3] FROM busybox:latest 0.0s",
                " => [stage-0 2/3] RUN make -j4 all install   2.5s",
                " => => # cc -c a.c",
                " => => # cc -c b.c",
                " => => # ok tab",
            }));
}

TEST(TtyFrameTest, FinalFrameCollapsesStepsAndNamesTheImage) {
  StepTracker tracker = ThreeSteps();
  bool created;
  tracker.Apply(Finished(6, proto::BuildEvent::STEP_DONE, 2, 2.25, 3.25),
                kStart, &created);
  FrameInput in = Input(tracker, 50, 3);  // the final frame ignores height
  in.final = true;
  proto::BuildResult result = Success("sha256:0123", {"app:1.0"});
  in.result = &result;
  in.status = "not shown in the final frame";
  EXPECT_EQ(RenderFrame(in),
            (std::vector<std::string>{
                "[+] Building 3.5s (3/3) FINISHED",
                " => [internal] load build definition from Do 0.0s",
                " => CACHED [stage-0 1/3] FROM busybox:latest 0.0s",
                " => [stage-0 2/3] RUN make -j4 all install   2.2s",
                " => exporting to image",
                " => => writing image sha256:0123",
                " => => naming to app:1.0",
            }));
}

TEST(TtyFrameTest, NarrowTerminalsDropTimersAndNeverWrap) {
  StepTracker tracker = ThreeSteps();
  for (int width : {1, 5, 10, 17, 20, 31, 200}) {
    for (bool final : {false, true}) {
      FrameInput in = Input(tracker, width, 24);
      in.final = final;
      in.status = "re-attaching to build b-1 after a dropped connection";
      std::vector<std::string> rows = RenderFrame(in);
      ASSERT_FALSE(rows.empty());
      for (const std::string& row : rows) {
        EXPECT_LT(TerminalWidth(row), width) << width << ": " << row;
      }
    }
  }
  EXPECT_EQ(RenderFrame(Input(tracker, 12, 24))[3], " => [stage-");
  EXPECT_EQ(RenderFrame(Input(tracker, 20, 24))[3], " => [stage-0 2 2.5s");
}

TEST(TtyFrameTest, ShortTerminalsTrimLogsThenOldSteps) {
  StepTracker tracker = ThreeSteps();
  // 4 rows: the header and the three steps; the logs go first.
  EXPECT_EQ(RenderFrame(Input(tracker, 40, 5)),
            (std::vector<std::string>{
                "[+] Building 3.5s (2/3)",
                " => [internal] load build definiti 0.0s",
                " => CACHED [stage-0 1/3] FROM busy 0.0s",
                " => [stage-0 2/3] RUN make -j4 all 2.5s",
            }));
  // 3 rows: finished steps give way to the running one, and are counted.
  EXPECT_EQ(RenderFrame(Input(tracker, 40, 4)),
            (std::vector<std::string>{
                "[+] Building 3.5s (2/3)",
                " => ... 2 steps not shown",
                " => [stage-0 2/3] RUN make -j4 all 2.5s",
            }));
  // 6 rows and a status line: one log line fits.
  FrameInput in = Input(tracker, 40, 7);
  in.status = "uploading";
  EXPECT_EQ(RenderFrame(in), (std::vector<std::string>{
                                 "[+] Building 3.5s (2/3)",
                                 " ! uploading",
                                 " => [internal] load build definiti 0.0s",
                                 " => CACHED [stage-0 1/3] FROM busy 0.0s",
                                 " => [stage-0 2/3] RUN make -j4 all 2.5s",
                                 " => => # ok tab",
                             }));
  EXPECT_EQ(RenderFrame(Input(tracker, 40, 1)),
            std::vector<std::string>{"[+] Building 3.5s (2/3)"});
}

// A fixed terminal of `width` columns, time from `clock`, and no ticker
// unless `tick` is given.
TtyOptions TestOptions(const Clock* clock, int width,
                       absl::Duration tick = absl::ZeroDuration()) {
  TtyOptions options;
  options.printer.clock = clock;
  options.terminal_size = [width] { return TerminalSize{width, 10}; };
  options.tick = tick;
  return options;
}

TEST(TtyPrinterTest, RedrawsInPlace) {
  std::ostringstream out;
  SimulatedClock clock(kStart);
  TtyPrinter printer(out, TestOptions(&clock, 40));
  printer.OnEvent(Started(1, 1, "0", 1, 2, "RUN make", 0));
  clock.Advance(absl::Seconds(2));
  printer.OnEvent(Log(2, 1, "building", 2));
  printer.OnEvent(Finished(3, proto::BuildEvent::STEP_DONE, 1, 2.5, 2.5));
  printer.OnResult(Success("sha256:aa", {}));
  const std::string k = "\x1b[K\n";
  EXPECT_EQ(out.str(),
            // First frame.
            "[+] Building 0.0s (0/1)" + k +
                " => [stage-0 2/2] RUN make         0.0s" + k +
                // The log line adds a row under the running step.
                "\r\x1b[2A" + "[+] Building 2.0s (0/1)" + k +
                " => [stage-0 2/2] RUN make         2.0s" + k +
                " => => # building" + k +
                // Done: the step collapses and the old third row is cleared.
                "\r\x1b[3A" + "[+] Building 2.0s (1/1)" + k +
                " => [stage-0 2/2] RUN make         2.5s" + k + "\x1b[J" +
                // Final frame.
                "\r\x1b[2A" + "[+] Building 2.0s (1/1) FINISHED" + k +
                " => [stage-0 2/2] RUN make         2.5s" + k +
                " => exporting to image" + k +
                " => => writing image sha256:aa" + k);
}

TEST(TtyPrinterTest, RepeatsTheFailedStepsOutputAfterTheBuild) {
  std::ostringstream out;
  SimulatedClock clock(kStart);
  TtyPrinter printer(out, TestOptions(&clock, 60));
  printer.OnEvent(Started(1, 1, "0", 1, 2, "RUN ./test.sh", 0));
  printer.OnEvent(Log(2, 1, "test 1 ok\ntest 2 \x1b[31mFAILED\x1b[0m\n", 1));
  printer.OnEvent(Simple(3, proto::BuildEvent::WARNING, 0, "a warning", 1));
  printer.OnEvent(Finished(4, proto::BuildEvent::STEP_ERROR, 1, 1.5, 1.5,
                           "RUN ./test.sh: exit code 1"));
  printer.OnResult(Failure("Dockerfile:2: RUN ./test.sh: exit code 1"));
  std::vector<std::string> frame = printer.last_frame();
  EXPECT_EQ(frame,
            (std::vector<std::string>{
                "[+] Building 0.0s (1/1) FINISHED",
                " => ERROR [stage-0 2/2] RUN ./test.sh                  1.5s",
            }));
  std::string text = out.str();
  std::string tail = text.substr(text.rfind("1.5s\x1b[K\n") + 8);
  EXPECT_EQ(tail,
            "WARNING: a warning\n"
            "------\n"
            " > [stage-0 2/2] RUN ./test.sh:\n"
            "test 1 ok\n"
            "test 2 FAILED\n"
            "------\n"
            "ERROR: Dockerfile:2: RUN ./test.sh: exit code 1\n");
}

TEST(TtyPrinterTest, TickerMovesTheTimers) {
  std::ostringstream out;
  SimulatedClock clock(kStart);
  TtyPrinter printer(out, TestOptions(&clock, 40, absl::Milliseconds(5)));
  printer.OnEvent(Started(1, 1, "0", 1, 2, "RUN sleep 60", 0));
  clock.Advance(absl::Seconds(7));
  std::vector<std::string> frame;
  for (int i = 0; i < 400; ++i) {
    frame = printer.last_frame();
    if (frame.size() == 2 && absl::EndsWith(frame[1], "7.0s")) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(frame.size(), 2u);
  EXPECT_EQ(frame[0], "[+] Building 7.0s (0/1)");
  EXPECT_EQ(frame[1], " => [stage-0 2/2] RUN sleep 60     7.0s");
  printer.OnResult(Failure("cancelled"));
}

TEST(TerminalSizeTest, FallsBackWithoutATerminal) {
  TerminalSize size = QueryTerminalSize(-1);
  EXPECT_EQ(size.width, 80);
  EXPECT_EQ(size.height, 24);
}

}  // namespace
}  // namespace farm::client::progress
