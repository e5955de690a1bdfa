// ParseOsSelector and ClosestMatch.
#include <gtest/gtest.h>

#include "kemu/scenario/parser.hpp"

namespace {

using ::kemu::Os;
using ::kemu::scenario::ClosestMatch;
using ::kemu::scenario::ParseOsSelector;

using Oses = std::vector<Os>;

TEST(OsSelectorTest, AllSelectsEveryPersonalityOldestFirst) {
  EXPECT_EQ(ParseOsSelector("all"), Oses(kemu::AllOs().begin(), kemu::AllOs().end()));
}

TEST(OsSelectorTest, OneName) {
  EXPECT_EQ(ParseOsSelector("xp"), Oses{Os::kWindowsXP});
  EXPECT_EQ(ParseOsSelector("win8.1"), Oses{Os::kWindows81});
}

TEST(OsSelectorTest, ClosedRange) {
  EXPECT_EQ(ParseOsSelector("vista..win8"),
            (Oses{Os::kWindowsVista, Os::kWindows7, Os::kWindows8}));
  EXPECT_EQ(ParseOsSelector("win7..win7"), Oses{Os::kWindows7});
}

TEST(OsSelectorTest, OpenRanges) {
  EXPECT_EQ(ParseOsSelector("..xp"), (Oses{Os::kWindows2000, Os::kWindowsXP}));
  EXPECT_EQ(ParseOsSelector("win10.."), (Oses{Os::kWindows10, Os::kWindows11}));
}

TEST(OsSelectorTest, CommaListIsSortedWithoutDuplicates) {
  EXPECT_EQ(ParseOsSelector("win11, xp,win10..,..win2000"),
            (Oses{Os::kWindows2000, Os::kWindowsXP, Os::kWindows10, Os::kWindows11}));
}

TEST(OsSelectorTest, BadSelectorsAreRejected) {
  EXPECT_EQ(ParseOsSelector("win12"), std::nullopt);
  EXPECT_EQ(ParseOsSelector(""), std::nullopt);
  EXPECT_EQ(ParseOsSelector("xp,"), std::nullopt);
  EXPECT_EQ(ParseOsSelector(".."), std::nullopt);
  EXPECT_EQ(ParseOsSelector("win11..xp"), std::nullopt);
  EXPECT_EQ(ParseOsSelector("xp..win99"), std::nullopt);
  EXPECT_EQ(ParseOsSelector("XP"), std::nullopt);
}

TEST(ClosestMatchTest, SuggestsTheNearestCandidate) {
  EXPECT_EQ(ClosestMatch("isr_call", {"isr_calls", "isr_claimed"}), "isr_calls");
  EXPECT_EQ(ClosestMatch("procesors", {"processors", "verifier"}), "processors");
}

TEST(ClosestMatchTest, CountsASwapAsOneEdit) {
  EXPECT_EQ(ClosestMatch("dorp", {"deliver", "drop", "bugcheck"}), "drop");
}

TEST(ClosestMatchTest, IgnoresCase) {
  EXPECT_EQ(ClosestMatch("Start", {"stop", "start"}), "start");
}

TEST(ClosestMatchTest, SuggestsNothingWhenNothingIsClose) {
  EXPECT_EQ(ClosestMatch("frobnicate", {"start", "stop"}), "");
  EXPECT_EQ(ClosestMatch("ab", {"xy"}), "");
  EXPECT_EQ(ClosestMatch("anything", {}), "");
}

TEST(ClosestMatchTest, PrefersTheFirstOfEquallyCloseCandidates) {
  EXPECT_EQ(ClosestMatch("cat", {"bat", "hat"}), "bat");
}

}  // namespace
