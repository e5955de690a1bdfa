// The number syntaxes of scenario files (emu/scenario/parse/numbers.hpp): unsigned integers in
// decimal or 0x hexadecimal, and the decimals fault probabilities are written in.
#include "scenario/parse/numbers.hpp"

#include <gtest/gtest.h>

#include <locale>
#include <optional>

namespace {

using ::kemu::scenario::internal::ParseDecimal;
using ::kemu::scenario::internal::ParseUnsigned;

TEST(ParseUnsignedTest, ReadsDecimalAndHexadecimal) {
  EXPECT_EQ(ParseUnsigned("42"), 42u);
  EXPECT_EQ(ParseUnsigned("0x2A"), 42u);
  EXPECT_EQ(ParseUnsigned("0X2a"), 42u);
  EXPECT_EQ(ParseUnsigned("18446744073709551615"), 18446744073709551615u);
  EXPECT_EQ(ParseUnsigned("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseUnsigned("-1"), std::nullopt);
  EXPECT_EQ(ParseUnsigned(" 1"), std::nullopt);
  EXPECT_EQ(ParseUnsigned(""), std::nullopt);
}

TEST(ParseDecimalTest, ReadsTheDecimalsAProbabilityIsWrittenIn) {
  EXPECT_EQ(ParseDecimal("0.25"), 0.25);
  EXPECT_EQ(ParseDecimal("1"), 1.0);
  EXPECT_EQ(ParseDecimal(".5"), 0.5);
  EXPECT_EQ(ParseDecimal("1e-3"), 0.001);
  EXPECT_EQ(ParseDecimal("-0.5"), -0.5);  // read, so the caller can say it is out of range
}

TEST(ParseDecimalTest, RefusesWhatIsNotADecimalNumber) {
  for (const char* text :
       {"", " 0.5", "+0.5", "0.5 ", "0.5x", "0x0.8p0", "inf", "nan", "half", "1,5", "."}) {
    EXPECT_EQ(ParseDecimal(text), std::nullopt) << '"' << text << '"';
  }
}

// A driver's test program may make a locale whose decimal separator is a comma the global one.
struct CommaDecimal : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
};

TEST(ParseDecimalTest, IgnoresTheProgramsGlobalLocale) {
  const std::locale old =
      std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  const std::optional<double> dot = ParseDecimal("0.25");
  const std::optional<double> comma = ParseDecimal("0,25");
  std::locale::global(old);
  EXPECT_EQ(dot, 0.25);
  EXPECT_EQ(comma, std::nullopt);
}

}  // namespace
