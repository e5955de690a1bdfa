// RtlTimeToTimeFields and RtlTimeFieldsToTime against known dates (the 1601 epoch, leap days,
// century rules), invalid fields refused with FALSE and Time left alone, and the local time of
// kemu's time zone, UTC (docs/kernel.md, "Calendar time"). No conformance ID covers them.
#include <wdm.h>

#include <cstdint>
#include <limits>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr std::int64_t kTicksPerSecond = 10'000'000;
constexpr std::int64_t kTicksPerDay = 86'400 * kTicksPerSecond;
// 1 January 1970 (the Unix epoch) in system time.
constexpr std::int64_t kUnixEpoch = 116'444'736'000'000'000;

TIME_FIELDS Fields(std::int64_t time) {
  LARGE_INTEGER value;
  value.QuadPart = time;
  TIME_FIELDS fields{};
  RtlTimeToTimeFields(&value, &fields);
  return fields;
}

TIME_FIELDS Date(CSHORT year, CSHORT month, CSHORT day, CSHORT hour = 0, CSHORT minute = 0,
                 CSHORT second = 0, CSHORT milliseconds = 0) {
  TIME_FIELDS fields{};
  fields.Year = year;
  fields.Month = month;
  fields.Day = day;
  fields.Hour = hour;
  fields.Minute = minute;
  fields.Second = second;
  fields.Milliseconds = milliseconds;
  return fields;
}

// The system time `fields` name; -1 when RtlTimeFieldsToTime refuses them (Time untouched).
std::int64_t TimeOf(TIME_FIELDS fields) {
  LARGE_INTEGER time;
  time.QuadPart = -1;
  if (!RtlTimeFieldsToTime(&fields, &time)) {
    EXPECT_EQ(time.QuadPart, -1) << "a refused conversion writes nothing";
    return -1;
  }
  return time.QuadPart;
}

void ExpectFields(const TIME_FIELDS& f, int year, int month, int day, int hour, int minute,
                  int second, int milliseconds, int weekday) {
  EXPECT_EQ(f.Year, year);
  EXPECT_EQ(f.Month, month);
  EXPECT_EQ(f.Day, day);
  EXPECT_EQ(f.Hour, hour);
  EXPECT_EQ(f.Minute, minute);
  EXPECT_EQ(f.Second, second);
  EXPECT_EQ(f.Milliseconds, milliseconds);
  EXPECT_EQ(f.Weekday, weekday);
}

TEST(TimeFieldsTest, TimeZeroIsMondayTheFirstOfJanuary1601) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ExpectFields(Fields(0), 1601, 1, 1, 0, 0, 0, 0, 1);
  EXPECT_EQ(TimeOf(Date(1601, 1, 1)), 0);
}

TEST(TimeFieldsTest, TheUnixEpochIsAThursday) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ExpectFields(Fields(kUnixEpoch), 1970, 1, 1, 0, 0, 0, 0, 4);
  EXPECT_EQ(TimeOf(Date(1970, 1, 1)), kUnixEpoch);
}

TEST(TimeFieldsTest, LeapDaysFollowTheGregorianCenturyRules) {
  kemu::Machine machine(kemu::Os::kWindows10);
  // 29 February 2000 (a leap century) 12:34:56.789, a Tuesday: 951827696 s after 1970.
  const std::int64_t leap_day = kUnixEpoch + 951'827'696 * kTicksPerSecond + 7'890'000;
  ExpectFields(Fields(leap_day), 2000, 2, 29, 12, 34, 56, 789, 2);
  EXPECT_EQ(TimeOf(Date(2000, 2, 29, 12, 34, 56, 789)), leap_day);
  // 2024 is a leap year; 1900 and 2100 are not.
  EXPECT_EQ(TimeOf(Date(2024, 3, 1)) - TimeOf(Date(2024, 2, 28)), 2 * kTicksPerDay);
  EXPECT_EQ(TimeOf(Date(1900, 3, 1)) - TimeOf(Date(1900, 2, 28)), kTicksPerDay);
  EXPECT_EQ(TimeOf(Date(2100, 2, 29)), -1);
  EXPECT_EQ(TimeOf(Date(1900, 2, 29)), -1);
}

TEST(TimeFieldsTest, TheLastTickOfADayIsItsLastMillisecond) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ExpectFields(Fields(kUnixEpoch - 1), 1969, 12, 31, 23, 59, 59, 999, 3);
}

TEST(TimeFieldsTest, EveryDayOfFourCenturiesRoundTrips) {
  kemu::Machine machine(kemu::Os::kWindows10);
  for (std::int64_t day = 0; day < 146'097; day += 1) {
    const std::int64_t time =
        day * kTicksPerDay + std::int64_t{45'296'789} * 10'000;  // 12:34:56.789
    const TIME_FIELDS fields = Fields(time);
    ASSERT_EQ(TimeOf(fields), time) << "day " << day;
    ASSERT_EQ(fields.Weekday, (day + 1) % 7) << "day " << day;
  }
}

TEST(TimeFieldsTest, InvalidFieldsAreRefusedWithFalse) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(TimeOf(Date(1600, 12, 31)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 0, 1)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 13, 1)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 4, 31)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 0)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 1, 24)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 1, 0, 60)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 1, 0, 0, 60)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 1, 0, 0, 0, 1000)), -1);
  EXPECT_EQ(TimeOf(Date(2024, 1, 1, -1)), -1);
  // Past what a LARGE_INTEGER holds (the last whole day that fits is in 30828).
  EXPECT_EQ(TimeOf(Date(32767, 12, 31)), -1);
}

TEST(TimeFieldsTest, WeekdayIsIgnoredOnTheWayBack) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TIME_FIELDS fields = Date(1970, 1, 1);
  fields.Weekday = 6;
  EXPECT_EQ(TimeOf(fields), kUnixEpoch);
}

TEST(TimeFieldsTest, TheExtremesOfTheRangeConvertWithoutOverflow) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const TIME_FIELDS last = Fields(std::numeric_limits<std::int64_t>::max());
  ExpectFields(last, 30828, 9, 14, 2, 48, 5, 477, 4);
  const TIME_FIELDS first = Fields(std::numeric_limits<std::int64_t>::min());
  EXPECT_LT(first.Year, 1601);
}

TEST(TimeFieldsTest, LocalTimeIsSystemTimeInKemusUtcZone) {
  kemu::Machine machine(kemu::Os::kWindows10);
  LARGE_INTEGER system;
  KeQuerySystemTime(&system);
  LARGE_INTEGER local;
  ExSystemTimeToLocalTime(&system, &local);
  EXPECT_EQ(local.QuadPart, system.QuadPart);
  LARGE_INTEGER back;
  ExLocalTimeToSystemTime(&local, &back);
  EXPECT_EQ(back.QuadPart, system.QuadPart);
}

}  // namespace
