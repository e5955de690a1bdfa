// Calendar time: RtlTimeToTimeFields, RtlTimeFieldsToTime, ExSystemTimeToLocalTime and
// ExLocalTimeToSystemTime (docs/kernel.md, "Calendar time"). Any IRQL.
#include <wdm.h>

#include <optional>

#include "abi/entry.hpp"
#include "model/time_fields.hpp"

extern "C" {

VOID RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlTimeToTimeFields, KEMU_ARG(Time), KEMU_ARG(TimeFields));
  kernel.verifier().Dereferenced("RtlTimeToTimeFields", Time, "Time");
  kernel.verifier().Dereferenced("RtlTimeToTimeFields", TimeFields, "TimeFields");
  *TimeFields = kemu::model::TimeToFields(Time->QuadPart);
}

BOOLEAN RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlTimeFieldsToTime, KEMU_ARG(TimeFields), KEMU_ARG(Time));
  kernel.verifier().Dereferenced("RtlTimeFieldsToTime", TimeFields, "TimeFields");
  kernel.verifier().Dereferenced("RtlTimeFieldsToTime", Time, "Time");
  const std::optional<std::int64_t> time = kemu::model::FieldsToTime(*TimeFields);
  if (!time) return FALSE;
  Time->QuadPart = *time;
  return TRUE;
}

VOID ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExSystemTimeToLocalTime, KEMU_ARG(SystemTime), KEMU_ARG(LocalTime));
  kernel.verifier().Dereferenced("ExSystemTimeToLocalTime", SystemTime, "SystemTime");
  kernel.verifier().Dereferenced("ExSystemTimeToLocalTime", LocalTime, "LocalTime");
  LocalTime->QuadPart = SystemTime->QuadPart + kemu::model::kLocalTimeBias100ns;
}

VOID ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExLocalTimeToSystemTime, KEMU_ARG(LocalTime), KEMU_ARG(SystemTime));
  kernel.verifier().Dereferenced("ExLocalTimeToSystemTime", LocalTime, "LocalTime");
  kernel.verifier().Dereferenced("ExLocalTimeToSystemTime", SystemTime, "SystemTime");
  SystemTime->QuadPart = LocalTime->QuadPart - kemu::model::kLocalTimeBias100ns;
}

}  // extern "C"
