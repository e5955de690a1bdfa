// System time (100 ns units since 1 January 1601, UTC, in the proleptic Gregorian calendar) and
// calendar fields: RtlTimeToTimeFields, RtlTimeFieldsToTime, and the local time of kemu's time
// zone (docs/kernel.md, "Calendar time"). Pure arithmetic: no machine state.
#ifndef KEMU_EMU_MODEL_TIME_FIELDS_HPP_
#define KEMU_EMU_MODEL_TIME_FIELDS_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>

namespace kemu::model {

/// Local time minus system time in kemu's time zone, in 100 ns units: UTC, no daylight saving.
inline constexpr std::int64_t kLocalTimeBias100ns = 0;

/// `time` as calendar fields, Weekday included. A negative time gives a date before 1601.
TIME_FIELDS TimeToFields(std::int64_t time);
/// The time `fields` name (Weekday ignored), or nothing when a field is out of its range (a year
/// before 1601, a month outside 1-12, a day past the month's end, ...) or the time would not fit
/// in a LARGE_INTEGER.
std::optional<std::int64_t> FieldsToTime(const TIME_FIELDS& fields);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_TIME_FIELDS_HPP_
