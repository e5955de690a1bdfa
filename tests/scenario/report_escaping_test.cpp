// Free text in every report format: failure messages, observations and adapter strings may hold
// terminal escape sequences, NULs and bytes that are not UTF-8 (they come from scenario files and
// driver adapters). The terminal, Markdown and JUnit reports show them as visible "\xNN" text;
// JUnit stays valid XML 1.0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "kemu/scenario/report.hpp"
#include "scenario/report/visible_text.hpp"

namespace kemu::scenario {
namespace {

using internal::VisibleText;
using ::testing::HasSubstr;
using ::testing::Not;

// ESC [31m (red), a NUL, a carriage return, a lone byte 0xFF, the C1 control CSI (U+009B), and
// "é" and "✅", which are valid UTF-8 and must survive.
constexpr char kHostileBytes[] = "red \x1b[31mX\x00Y\rZ \xFF \xC2\x9B";
const std::string kHostile = std::string(kHostileBytes, sizeof(kHostileBytes) - 1) + "é ✅";
constexpr std::string_view kShown = "red \\x1b[31mX\\x00Y\\x0dZ \\xff \\xc2\\x9bé ✅";

// Code points of `text` if it is valid UTF-8, each one a Char of XML 1.0; else false.
bool IsXml10Text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::uint32_t code = lead;
    std::size_t length = 1;
    if (lead >= 0xF0) {
      length = 4;
      code = lead & 0x07u;
    } else if (lead >= 0xE0) {
      length = 3;
      code = lead & 0x0Fu;
    } else if (lead >= 0xC0) {
      length = 2;
      code = lead & 0x1Fu;
    } else if (lead >= 0x80) {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    const bool allowed = code == 0x9 || code == 0xA || code == 0xD ||
                         (code >= 0x20 && code <= 0xD7FF) || (code >= 0xE000 && code <= 0xFFFD) ||
                         (code >= 0x10000 && code <= 0x10FFFF);
    if (!allowed) return false;
    i += length;
  }
  return true;
}

// No byte a terminal acts on: C0 controls other than '\n' and '\t', DEL, and the C1 range.
bool IsInertOnATerminal(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F) return false;
    if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      return false;
    }
  }
  return IsXml10Text(text);  // and valid UTF-8
}

Outcome FailedWith(const std::string& message) {
  Outcome outcome;
  outcome.scenario = "hostile";
  outcome.os = Os::kWindowsXP;
  // Member by member: a braced temporary here made GCC 12 at -O2 report its file string "may be
  // used uninitialized" (a false positive).
  Failure& failure = outcome.failures.emplace_back();
  failure.where.file = "scenarios/hostile.yaml";
  failure.where.line = 4;
  failure.where.column = 3;
  failure.message = message;
  outcome.observations.push_back("bump by=");
  outcome.observations.back() += kHostile;
  outcome.trace_path = "out/t.json";
  return outcome;
}

TEST(VisibleTextTest, ControlsAndBytesThatAreNotUtf8BecomeHexEscapes) {
  EXPECT_EQ(VisibleText(kHostile), kShown);
}

TEST(VisibleTextTest, PlainTextNewlinesTabsAndUtf8AreKept) {
  EXPECT_EQ(VisibleText("a\tb\nc é ✅ 𝄞"), "a\tb\nc é ✅ 𝄞");
}

TEST(VisibleTextTest, OverlongSurrogateAndTruncatedSequencesAreEscapedBytewise) {
  EXPECT_EQ(VisibleText("\xC0\xAF"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(VisibleText("\xED\xA0\x80"), "\\xed\\xa0\\x80");           // a UTF-16 surrogate
  EXPECT_EQ(VisibleText("\xE2\x9C"), "\\xe2\\x9c");                    // "✅" cut short
  EXPECT_EQ(VisibleText("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(VisibleText("\xEF\xBF\xBF"), "\\xef\\xbf\\xbf");  // U+FFFF, not an XML character
  EXPECT_EQ(VisibleText(std::string_view("\x7F", 1)), "\\x7f");
}

TEST(ReportEscapingTest, JUnitWithHostileTextIsValidXml10) {
  const std::string xml = FormatJUnit({FailedWith(kHostile)});
  EXPECT_TRUE(IsXml10Text(xml)) << xml;
  EXPECT_THAT(xml, HasSubstr(std::string(kShown)));
  EXPECT_THAT(xml, Not(HasSubstr("\x1b")));
}

TEST(ReportEscapingTest, MarkdownShowsControlsAsTextAndStaysUtf8) {
  Outcome outcome = FailedWith(kHostile + "\nreport line \x1b]0;title\x07");
  const std::string markdown = FormatMatrixMarkdown({outcome});
  EXPECT_TRUE(IsInertOnATerminal(markdown)) << markdown;
  // The backslash of \x1b is itself escaped so that it renders as written.
  EXPECT_THAT(markdown, HasSubstr("red \\\\x1b\\[31mX\\\\x00Y"));
  EXPECT_THAT(markdown, HasSubstr("report line \\x1b]0;title\\x07"));  // the code block
}

TEST(ReportEscapingTest, TerminalProgressAndMatrixShowControlsAsText) {
  const Outcome outcome = FailedWith(kHostile);
  const std::string progress = FormatProgress(outcome);
  const std::string matrix = FormatMatrixText({outcome});
  for (const std::string& text : {progress, matrix}) {
    EXPECT_TRUE(IsInertOnATerminal(text)) << text;
    EXPECT_THAT(text, HasSubstr(std::string(kShown)));
  }
}

TEST(ReportEscapingTest, DiffShowsObservationsWithControlsAsText) {
  Outcome a = FailedWith("x");
  Outcome b = a;
  b.os = Os::kWindows10;
  b.observations = {"bump by=plain"};
  const std::string diff = FormatDiff(a, b);
  EXPECT_TRUE(IsInertOnATerminal(diff)) << diff;
  EXPECT_THAT(diff, HasSubstr("bump by=" + std::string(kShown)));
}

}  // namespace
}  // namespace kemu::scenario
