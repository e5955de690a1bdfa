// The lexical scan of a scenario file (scenario/parse/lexical_scan.hpp): it finds the quote a file
// leaves open, and nothing in valid YAML that only looks like one; and the flow collection that
// nests deepest, where it starts.
#include "scenario/parse/lexical_scan.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <utility>

namespace {

using ::kemu::scenario::internal::DeepestFlowCollection;
using ::kemu::scenario::internal::UnclosedQuote;
using Position = std::pair<int, int>;

TEST(UnclosedQuoteTest, ADoubleQuoteOpenAtTheEndIsFoundWhereItOpens) {
  EXPECT_EQ(UnclosedQuote("a: 1\ndescription: \"never closed\n"), Position(2, 14));
  EXPECT_EQ(UnclosedQuote("description: \"no newline either"), Position(1, 14));
}

TEST(UnclosedQuoteTest, ASingleQuoteOpenSwallowingLaterLinesIsFound) {
  EXPECT_EQ(UnclosedQuote("os: 'xp\ndevices: [{name: nic0}]\nsteps:\n  - start\n"), Position(1, 5));
}

TEST(UnclosedQuoteTest, QuotesInSequencesFlowsAndKeysAreFound) {
  EXPECT_EQ(UnclosedQuote("steps:\n  - \"start\n"), Position(2, 5));
  EXPECT_EQ(UnclosedQuote("os: [xp, 'win7]\n"), Position(1, 10));
  EXPECT_EQ(UnclosedQuote("\"key: 1\n"), Position(1, 1));
  EXPECT_EQ(UnclosedQuote("a: &anchor \"x\n"), Position(1, 12));
  EXPECT_EQ(UnclosedQuote("a: !!str 'x\n"), Position(1, 10));
}

TEST(UnclosedQuoteTest, ClosedAndValidQuotesAreNotReported) {
  constexpr std::string_view kValid[] = {
      "a: \"closed\"\nb: 'closed'\n",
      "a: \"spans\n  two lines\"\n",
      "a: \"an \\\" escaped quote\"\n",
      "a: 'it''s doubled'\n",
      "a: \"a # inside is text\"\n",
      "a: [\"x\", 'y', {k: \"v\"}]\n",
      "a: \"\"\nb: ''\n",
      "a: \"ends with a backslash \\\\\"\n",
  };
  for (std::string_view yaml : kValid) EXPECT_EQ(UnclosedQuote(yaml), std::nullopt) << yaml;
}

TEST(UnclosedQuoteTest, QuotesThatStartNoScalarAreText) {
  constexpr std::string_view kValid[] = {
      "description: it's the driver's\n",  // inside a plain scalar
      "url: http://x\"y\n",                // likewise
      "a: 5 - \"x\n",                      // " - " inside a plain scalar is text
      "# it's a comment\na: 1\n",          // comments
      "a: 1  # \"open in a comment\n",
      "note: |\n  it's \"open\n  'and more\nb: 2\n",  // a block scalar's text
      "- >-\n  \"folded\n- x\n",
      "a:\n  - |\n    'x\n  - y\n",
  };
  for (std::string_view yaml : kValid) EXPECT_EQ(UnclosedQuote(yaml), std::nullopt) << yaml;
}

TEST(UnclosedQuoteTest, AQuoteAfterABlockScalarEndsIsFoundAgain) {
  EXPECT_EQ(UnclosedQuote("note: |\n  'text\nb: 'open\n"), Position(3, 4));
}

// yaml-cpp's mark for nesting too deep lies past the last `]`; the scan names the opening one of
// the collection that nests deepest (audit round 14, N5).
TEST(DeepestFlowTest, TheOutermostBracketOfTheDeepestCollectionIsFound) {
  const auto deepest = DeepestFlowCollection("steps:\n  - [a, [b]]\n  - [[[c]], {d: [e]}]\n");
  ASSERT_TRUE(deepest.has_value());
  EXPECT_EQ(deepest->start, Position(3, 5));
  EXPECT_EQ(deepest->depth, 3);
}

TEST(DeepestFlowTest, TheFirstOfEquallyDeepCollectionsIsFound) {
  const auto deepest = DeepestFlowCollection("a: [[1]]\nb: {c: [2]}\n");
  ASSERT_TRUE(deepest.has_value());
  EXPECT_EQ(deepest->start, Position(1, 4));
  EXPECT_EQ(deepest->depth, 2);
}

TEST(DeepestFlowTest, BracketsInQuotesCommentsAndPlainScalarsAreText) {
  EXPECT_FALSE(DeepestFlowCollection("a: \"[[[\"\nb: '{{'  # [[[\nc: x[y]\n").has_value());
  const auto deepest = DeepestFlowCollection("a: ['[[[', \"{{\"]\n");
  ASSERT_TRUE(deepest.has_value());
  EXPECT_EQ(deepest->depth, 1);
}

}  // namespace
