// The scan for a quoted YAML scalar never closed (scenario/parse/unclosed_quote.hpp): it finds the
// quote a file leaves open, and nothing in valid YAML that only looks like one.
#include "scenario/parse/unclosed_quote.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <utility>

namespace {

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

}  // namespace
