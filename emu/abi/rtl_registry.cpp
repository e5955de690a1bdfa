// The Rtl registry routines (model/registry_query.cpp, model/registry_paths.cpp;
// docs/kernel.md, "Registry"): RtlQueryRegistryValues, RtlWriteRegistryValue,
// RtlCheckRegistryKey and RtlCreateRegistryKey. All run at PASSIVE_LEVEL only.
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/host_memory.hpp"
#include "model/registry_keys.hpp"

extern "C" {

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment) {
  static constexpr const char* kRoutine = "RtlQueryRegistryValues";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlQueryRegistryValues, KEMU_ARG(RelativeTo), KEMU_ARG(Path), KEMU_ARG(QueryTable),
                 KEMU_ARG(Context), KEMU_ARG(Environment));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kernel.verifier().Dereferenced(kRoutine, QueryTable, "QueryTable");
  // Environment only feeds the expansion of REG_EXPAND_SZ values, which kemu refuses by name
  // when there is anything to expand.
  return kernel.registry_keys().QueryTable(RelativeTo, Path, QueryTable, Context);
}

NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                               PVOID ValueData, ULONG ValueLength) {
  static constexpr const char* kRoutine = "RtlWriteRegistryValue";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlWriteRegistryValue, KEMU_ARG(RelativeTo), KEMU_ARG(Path), KEMU_ARG(ValueName),
                 KEMU_ARG(ValueType), KEMU_ARG(ValueData), KEMU_ARG(ValueLength));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  if (ValueData == nullptr && ValueLength > 0)
    kernel.verifier().NullArgument(kRoutine, "ValueData");
  if (const auto unreadable = kemu::model::FirstUnreadable(ValueData, ValueLength)) {
    kernel.verifier().UnreadableArgument(kRoutine, "ValueData", ValueLength, *unreadable);
  }
  return kernel.registry_keys().WriteValue(RelativeTo, Path, ValueName, ValueType, ValueData,
                                           ValueLength);
}

NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlCheckRegistryKey, KEMU_ARG(RelativeTo), KEMU_ARG(Path));
  kemu::abi::AtMost(kernel, "RtlCheckRegistryKey", PASSIVE_LEVEL);
  return kernel.registry_keys().CheckKey(RelativeTo, Path);
}

NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlCreateRegistryKey, KEMU_ARG(RelativeTo), KEMU_ARG(Path));
  kemu::abi::AtMost(kernel, "RtlCreateRegistryKey", PASSIVE_LEVEL);
  return kernel.registry_keys().CreateKey(RelativeTo, Path);
}

}  // extern "C"
