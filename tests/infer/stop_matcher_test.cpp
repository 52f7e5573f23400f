#include "infer/stop_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::infer {
namespace {

// Feeds pieces, returns everything released and whether/which stop hit.
struct StreamOutcome {
  std::string released;
  bool stopped = false;
  size_t stop_index = 0;
};

StreamOutcome feed(StopMatcher& matcher, const std::vector<std::string>& pieces) {
  StreamOutcome run;
  for (const std::string& piece : pieces) {
    StopMatcher::Step step = matcher.push(piece);
    run.released += step.text;
    if (step.stopped) {
      run.stopped = true;
      run.stop_index = step.stop_index;
      return run;
    }
  }
  run.released += matcher.flush();
  return run;
}

TEST(StopMatcherTest, HoldsBackEveryPossibleStart) {
  StopMatcher matcher({"lo Wo"});
  StopMatcher::Step step = matcher.push("Hel");
  EXPECT_EQ(step.text, "He");
  EXPECT_EQ(matcher.n_held_bytes(), 1u);
  step = matcher.push("lo W");
  EXPECT_EQ(step.text, "l");  // "lo W" is a prefix of the stop
  EXPECT_FALSE(step.stopped);
  step = matcher.push("orld");
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(step.text, "");
  EXPECT_EQ(matcher.n_held_bytes(), 0u);
}

TEST(StopMatcherTest, FalseAlarmIsReleasedLater) {
  StopMatcher matcher({"xyz"});
  const StreamOutcome run = feed(matcher, {"ab x", "y", "q", " done"});
  EXPECT_FALSE(run.stopped);
  EXPECT_EQ(run.released, "ab xyq done");
  StopMatcher tail({"xyz"});
  StopMatcher::Step step = tail.push("end x");
  EXPECT_EQ(step.text, "end ");
  EXPECT_EQ(tail.flush(), "x");  // the stream ended: "x" was text after all
}

TEST(StopMatcherTest, OverlappingPrefixes) {
  // "aab" inside "aaab": the first 'a' is released, the stop found after it.
  StopMatcher matcher({"aab"});
  const StreamOutcome run = feed(matcher, {"a", "a", "a", "b", "c"});
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(run.released, "a");
}

TEST(StopMatcherTest, EarliestOccurrenceWins) {
  StopMatcher matcher({"world", "lo", "hello"});
  const StreamOutcome run = feed(matcher, {"say hello world"});
  EXPECT_TRUE(run.stopped);
  // "hello" starts at 4, "lo" at 7: the earliest start ends the text.
  EXPECT_EQ(run.released, "say ");
  EXPECT_EQ(run.stop_index, 2u);
}

TEST(StopMatcherTest, StopInsideOnePieceDropsTheRest) {
  StopMatcher matcher({"\nUser:"});
  const StreamOutcome run = feed(matcher, {"Sure.", "\nUser: more text"});
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(run.released, "Sure.");
}

TEST(StopMatcherTest, MultiByteStops) {
  StopMatcher matcher({"日本"});
  // "日" (3 bytes) is held until "本" decides.
  const StreamOutcome run = feed(matcher, {"a日", "x日", "本語"});
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(run.released, "a日x");
}

TEST(StopMatcherTest, NoStopsReleasesEverything) {
  StopMatcher matcher({});
  StopMatcher::Step step = matcher.push("anything");
  EXPECT_EQ(step.text, "anything");
  EXPECT_FALSE(step.stopped);
  EXPECT_EQ(matcher.flush(), "");
}

}  // namespace
}  // namespace hearth::infer
