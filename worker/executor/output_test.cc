#include "worker/executor/output.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(
    const std::vector<std::string>& chunks,
    size_t max_line = LineSplitter::kDefaultMaxLine) {
  LineRecorder recorder;
  LineSplitter splitter(Stream::kStdout, recorder, max_line);
  for (const std::string& chunk : chunks) splitter.Append(chunk);
  splitter.Flush();
  return recorder.Texts(Stream::kStdout);
}

TEST(LineSplitterTest, EmitsCompleteLinesAsTheyArrive) {
  LineRecorder recorder;
  LineSplitter splitter(Stream::kStderr, recorder);
  splitter.Append("one\ntw");
  EXPECT_THAT(recorder.Texts(Stream::kStderr), ElementsAre("one"));
  splitter.Append("o\nthree\n");
  EXPECT_THAT(recorder.Texts(Stream::kStderr),
              ElementsAre("one", "two", "three"));
  EXPECT_TRUE(recorder.Texts(Stream::kStdout).empty());
}

TEST(LineSplitterTest, FlushEmitsTheFinalPartialLineOnce) {
  EXPECT_THAT(Split({"a\nb"}), ElementsAre("a", "b"));
  EXPECT_THAT(Split({"a\n"}), ElementsAre("a"));
  EXPECT_THAT(Split({""}), ElementsAre());
}

TEST(LineSplitterTest, KeepsEmptyLinesAndCarriageReturns) {
  EXPECT_THAT(Split({"\n\nx\r\n"}), ElementsAre("", "", "x\r"));
}

TEST(LineSplitterTest, CutsOverlongLinesIntoPieces) {
  EXPECT_THAT(Split({"abcdefg\nhi"}, 3), ElementsAre("abc", "def", "g", "hi"));
  // Exactly max_line bytes then '\n' is one line, not a piece plus "".
  EXPECT_THAT(Split({"abc\nd"}, 3), ElementsAre("abc", "d"));
  EXPECT_THAT(Split({"ab", "c", "\n"}, 3), ElementsAre("abc"));
  EXPECT_THAT(Split({"ab", "cd", "ef"}, 3), ElementsAre("abc", "def"));
}

TEST(LineSplitterTest, LinesSpanningManyChunks) {
  EXPECT_THAT(Split({"he", "ll", "o w", "orld", "\nbye"}),
              ElementsAre("hello world", "bye"));
}

TEST(LineRecorderTest, KeepsABoundedTailAndCountsEverything) {
  LineRecorder recorder(2);
  recorder.Line(Stream::kStdout, "1");
  recorder.Line(Stream::kStderr, "2");
  recorder.Line(Stream::kStdout, "3");
  EXPECT_THAT(recorder.Lines(), ElementsAre(OutputLine{Stream::kStderr, "2"},
                                            OutputLine{Stream::kStdout, "3"}));
  EXPECT_EQ(recorder.Tail(), "2\n3\n");
  EXPECT_EQ(recorder.total_lines(), 3u);
}

TEST(LineRecorderTest, ForwardsEveryLine) {
  LineRecorder all;
  LineRecorder tail(1, &all);
  tail.Line(Stream::kStdout, "a");
  tail.Line(Stream::kStderr, "b");
  EXPECT_THAT(all.Lines(), ElementsAre(OutputLine{Stream::kStdout, "a"},
                                       OutputLine{Stream::kStderr, "b"}));
  EXPECT_EQ(tail.Tail(), "b\n");
}

TEST(StreamNameTest, Names) {
  EXPECT_EQ(StreamName(Stream::kStdout), "stdout");
  EXPECT_EQ(StreamName(Stream::kStderr), "stderr");
}

}  // namespace
}  // namespace farm::executor
