#include "model/time_fields.hpp"

#include <limits>

namespace kemu::model {

namespace {

constexpr std::int64_t kTicksPerMillisecond = 10'000;
constexpr std::int64_t kTicksPerDay = 86'400'000 * kTicksPerMillisecond;
// Days from 1 March of year 0 (the start of the 400-year cycle the conversions count in) to
// 1 January 1601.
constexpr std::int64_t kDaysTo1601 = 584'694;

constexpr bool IsLeap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int DaysInMonth(std::int64_t year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Floor division: times before 1601 count back from it.
constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Days since 1 March of year 0 for a date of the proleptic Gregorian calendar (March-based years
// put the leap day last, so each 400-year era has the same shape).
constexpr std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  const std::int64_t y = month <= 2 ? year - 1 : year;
  const std::int64_t era = FloorDiv(y, 400);
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  return era * 146'097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
}

static_assert(DaysFromCivil(1601, 1, 1) == kDaysTo1601);

}  // namespace

TIME_FIELDS TimeToFields(std::int64_t time) {
  // Day and time of day, without overflow at either end of the range.
  std::int64_t days = time / kTicksPerDay;
  std::int64_t ticks = time % kTicksPerDay;
  if (ticks < 0) {
    ticks += kTicksPerDay;
    --days;
  }
  std::int64_t in_day = ticks / kTicksPerMillisecond;  // milliseconds
  const std::int64_t since_epoch = days + kDaysTo1601;
  const std::int64_t era = FloorDiv(since_epoch, 146'097);
  const std::int64_t day_of_era = since_epoch - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const int month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  TIME_FIELDS fields{};
  fields.Year = static_cast<CSHORT>(year);
  fields.Month = static_cast<CSHORT>(month);
  fields.Day = static_cast<CSHORT>(day_of_year - (153 * month_index + 2) / 5 + 1);
  fields.Milliseconds = static_cast<CSHORT>(in_day % 1000);
  in_day /= 1000;
  fields.Second = static_cast<CSHORT>(in_day % 60);
  in_day /= 60;
  fields.Minute = static_cast<CSHORT>(in_day % 60);
  fields.Hour = static_cast<CSHORT>(in_day / 60);
  // 1 January 1601 was a Monday (1).
  const std::int64_t weekday = (days + 1) % 7;
  fields.Weekday = static_cast<CSHORT>(weekday < 0 ? weekday + 7 : weekday);
  return fields;
}

std::optional<std::int64_t> FieldsToTime(const TIME_FIELDS& fields) {
  if (fields.Year < 1601 || fields.Month < 1 || fields.Month > 12 || fields.Day < 1 ||
      fields.Day > DaysInMonth(fields.Year, fields.Month) || fields.Hour < 0 || fields.Hour > 23 ||
      fields.Minute < 0 || fields.Minute > 59 || fields.Second < 0 || fields.Second > 59 ||
      fields.Milliseconds < 0 || fields.Milliseconds > 999) {
    return std::nullopt;
  }
  const std::int64_t days = DaysFromCivil(fields.Year, fields.Month, fields.Day) - kDaysTo1601;
  const std::int64_t milliseconds =
      ((fields.Hour * 60 + fields.Minute) * 60 + fields.Second) * 1000 + fields.Milliseconds;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  // The latest day that fits: the whole of it, so a time of day cannot overflow either.
  if (days > kMax / kTicksPerDay - 1) return std::nullopt;
  return days * kTicksPerDay + milliseconds * kTicksPerMillisecond;
}

}  // namespace kemu::model
