// Tests of the small pieces: text helpers, ClientSteps, QuietPrinter and
// the choice of printer.
#include <sstream>
#include <vector>

#include "client/progress/client_steps.h"
#include "client/progress/printer_factory.h"
#include "client/progress/quiet_printer.h"
#include "client/progress/step_tracker.h"
#include "client/progress/testing_events.h"
#include "client/progress/text_format.h"
#include "gtest/gtest.h"

namespace farm::client::progress {
namespace {

TEST(TextFormatTest, FormatsSizesLikeDocker) {
  EXPECT_EQ(FormatBytes(0), "0B");
  EXPECT_EQ(FormatBytes(999), "999B");
  EXPECT_EQ(FormatBytes(1000), "1kB");
  EXPECT_EQ(FormatBytes(12345), "12.35kB");
  EXPECT_EQ(FormatBytes(999999), "1MB");
  EXPECT_EQ(FormatBytes(4500000), "4.5MB");
  EXPECT_EQ(FormatBytes(1234567890), "1.235GB");
}

TEST(TextFormatTest, FormatsSeconds) {
  EXPECT_EQ(FormatSeconds(absl::ZeroDuration()), "0.0s");
  EXPECT_EQ(FormatSeconds(absl::Milliseconds(440)), "0.4s");
  EXPECT_EQ(FormatSeconds(absl::Milliseconds(12340)), "12.3s");
  EXPECT_EQ(FormatSeconds(-absl::Seconds(1)), "0.0s");
}

TEST(TextFormatTest, SplitsLogLines) {
  EXPECT_EQ(SplitLogLines("a\nb\n"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitLogLines("a\r\n\nb"),
            (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(SplitLogLines(""), std::vector<std::string>{""});
}

TEST(TextFormatTest, SanitizesAndTruncatesForTerminals) {
  EXPECT_EQ(SanitizeForTerminal("\x1b[1;31mred\x1b[0m\tx\x07"), "red x");
  EXPECT_EQ(SanitizeForTerminal("10%\r50%\r100%"), "100%");
  EXPECT_EQ(TerminalWidth("caf\xc3\xa9"), 4);
  EXPECT_EQ(TruncateToWidth("caf\xc3\xa9!", 4), "caf\xc3\xa9");
  EXPECT_EQ(TruncateToWidth("caf\xc3\xa9!", 3), "caf");
  EXPECT_EQ(TruncateToWidth("abc", 0), "");
}

TEST(ClientStepsTest, ReportsStepsWithNegativeNumbers) {
  testing::RecordingPrinter recorder;
  SimulatedClock clock(absl::FromUnixSeconds(100));
  ClientSteps steps(&recorder, &clock);
  ClientSteps::Step walk = steps.Start("load build context");
  ClientSteps::Step upload = steps.Start("transferring context");
  walk.Log("12 files");
  clock.Advance(absl::Milliseconds(300));
  walk.Done();
  walk.Fail("ignored: already done");
  upload.Fail("file a changed during the build");
  std::vector<proto::BuildEvent> events = recorder.events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind(), proto::BuildEvent::STEP_STARTED);
  EXPECT_EQ(events[0].step(), -1);
  EXPECT_EQ(events[0].stage_name(), "internal");
  EXPECT_EQ(events[0].text(), "load build context");
  EXPECT_EQ(events[0].timestamp_unix_nanos(), 100000000000);
  EXPECT_EQ(events[1].step(), -2);
  EXPECT_EQ(events[2].kind(), proto::BuildEvent::INFO);
  EXPECT_EQ(events[2].text(), "12 files");
  EXPECT_EQ(events[3].kind(), proto::BuildEvent::STEP_DONE);
  EXPECT_EQ(events[3].duration_nanos(), 300000000);
  EXPECT_EQ(events[4].kind(), proto::BuildEvent::STEP_ERROR);
  EXPECT_EQ(events[4].step(), -2);
  EXPECT_EQ(events[4].text(), "file a changed during the build");
  EXPECT_EQ(StepTracker::Label(events[0]), "[internal] load build context");
}

TEST(QuietPrinterTest, PrintsOnlyTheImageIdOrTheError) {
  std::ostringstream out, err;
  QuietPrinter printer(out, err);
  printer.OnEvent(testing::Log(1, 1, "noise", 0));
  printer.OnResult(testing::Success("sha256:beef", {"a:1"}));
  EXPECT_EQ(out.str(), "sha256:beef\n");
  EXPECT_EQ(err.str(), "");
  QuietPrinter failing(out, err);
  failing.OnResult(testing::Failure("Dockerfile:1: bad"));
  EXPECT_EQ(err.str(), "ERROR: Dockerfile:1: bad\n");
}

TEST(PrinterFactoryTest, ParsesAndResolvesModes) {
  EXPECT_EQ(*ParseProgressMode("plain"), ProgressMode::kPlain);
  EXPECT_EQ(*ParseProgressMode("tty"), ProgressMode::kTty);
  EXPECT_EQ(*ParseProgressMode("json"), ProgressMode::kJson);
  auto bad = ParseProgressMode("fancy");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "invalid --progress \"fancy\": want auto, plain, tty or json");
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kAuto, true, "xterm"),
            ProgressMode::kTty);
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kAuto, true, "dumb"),
            ProgressMode::kPlain);
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kAuto, false, "xterm"),
            ProgressMode::kPlain);
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kJson, true, "xterm"),
            ProgressMode::kJson);
}

}  // namespace
}  // namespace farm::client::progress
