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
  if (Time == nullptr) kernel.verifier().NullArgument("RtlTimeToTimeFields", "Time");
  if (TimeFields == nullptr) kernel.verifier().NullArgument("RtlTimeToTimeFields", "TimeFields");
  *TimeFields = kemu::model::TimeToFields(Time->QuadPart);
}

BOOLEAN RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlTimeFieldsToTime, KEMU_ARG(TimeFields), KEMU_ARG(Time));
  if (TimeFields == nullptr) kernel.verifier().NullArgument("RtlTimeFieldsToTime", "TimeFields");
  if (Time == nullptr) kernel.verifier().NullArgument("RtlTimeFieldsToTime", "Time");
  const std::optional<std::int64_t> time = kemu::model::FieldsToTime(*TimeFields);
  if (!time) return FALSE;
  Time->QuadPart = *time;
  return TRUE;
}

VOID ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExSystemTimeToLocalTime, KEMU_ARG(SystemTime), KEMU_ARG(LocalTime));
  if (SystemTime == nullptr)
    kernel.verifier().NullArgument("ExSystemTimeToLocalTime", "SystemTime");
  if (LocalTime == nullptr) kernel.verifier().NullArgument("ExSystemTimeToLocalTime", "LocalTime");
  LocalTime->QuadPart = SystemTime->QuadPart + kemu::model::kLocalTimeBias100ns;
}

VOID ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExLocalTimeToSystemTime, KEMU_ARG(LocalTime), KEMU_ARG(SystemTime));
  if (LocalTime == nullptr) kernel.verifier().NullArgument("ExLocalTimeToSystemTime", "LocalTime");
  if (SystemTime == nullptr) {
    kernel.verifier().NullArgument("ExLocalTimeToSystemTime", "SystemTime");
  }
  SystemTime->QuadPart = LocalTime->QuadPart - kemu::model::kLocalTimeBias100ns;
}

}  // extern "C"
