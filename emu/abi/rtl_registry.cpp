// The Rtl registry routines (model/registry_query.cpp, model/registry_paths.cpp;
// docs/kernel.md, "Registry"): RtlQueryRegistryValues, RtlWriteRegistryValue,
// RtlDeleteRegistryValue, RtlCheckRegistryKey and RtlCreateRegistryKey. All run at PASSIVE_LEVEL
// only.
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/driver_text.hpp"
#include "model/host_memory.hpp"
#include "model/registry_keys.hpp"

namespace {

using kemu::model::Kernel;

/// Path is a key handle under RTL_REGISTRY_HANDLE, else a string the routine reads (NULL: none):
/// a wild one is the access violation of that read, not a fault of kemu's own (audit round 17,
/// X4).
void CheckPath(Kernel& kernel, const char* routine, ULONG relative_to, PCWSTR path) {
  if ((relative_to & RTL_REGISTRY_HANDLE) != 0 || path == nullptr) return;
  (void)kemu::model::DriverText(kernel, routine, "Path", path).Read();
}

/// ValueName, a string the routine reads (NULL: the key's unnamed value).
void CheckValueName(Kernel& kernel, const char* routine, PCWSTR name) {
  if (name != nullptr) (void)kemu::model::DriverText(kernel, routine, "ValueName", name).Read();
}

}  // namespace

extern "C" {

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment) {
  static constexpr const char* kRoutine = "RtlQueryRegistryValues";
  Kernel& kernel = KEMU_ENTER(RtlQueryRegistryValues, KEMU_ARG(RelativeTo), KEMU_ARG(Path),
                              KEMU_ARG(QueryTable), KEMU_ARG(Context), KEMU_ARG(Environment));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kernel.verifier().Dereferenced(kRoutine, QueryTable, "QueryTable");
  CheckPath(kernel, kRoutine, RelativeTo, Path);
  // Environment only feeds the expansion of REG_EXPAND_SZ values, which kemu refuses by name
  // when there is anything to expand.
  return kernel.registry_keys().QueryTable(RelativeTo, Path, QueryTable, Context);
}

NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                               PVOID ValueData, ULONG ValueLength) {
  static constexpr const char* kRoutine = "RtlWriteRegistryValue";
  Kernel& kernel =
      KEMU_ENTER(RtlWriteRegistryValue, KEMU_ARG(RelativeTo), KEMU_ARG(Path), KEMU_ARG(ValueName),
                 KEMU_ARG(ValueType), KEMU_ARG(ValueData), KEMU_ARG(ValueLength));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  CheckPath(kernel, kRoutine, RelativeTo, Path);
  CheckValueName(kernel, kRoutine, ValueName);
  if (ValueData == nullptr && ValueLength > 0)
    kernel.verifier().NullArgument(kRoutine, "ValueData");
  if (const auto unreadable = kemu::model::FirstUnreadable(ValueData, ValueLength)) {
    kernel.verifier().UnreadableArgument(kRoutine, "ValueData", ValueLength, *unreadable);
  }
  return kernel.registry_keys().WriteValue(RelativeTo, Path, ValueName, ValueType, ValueData,
                                           ValueLength);
}

NTSTATUS RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName) {
  static constexpr const char* kRoutine = "RtlDeleteRegistryValue";
  Kernel& kernel =
      KEMU_ENTER(RtlDeleteRegistryValue, KEMU_ARG(RelativeTo), KEMU_ARG(Path), KEMU_ARG(ValueName));
  // The one routine the DDI compliance rule IrqlRtlPassive lists (audit round 17, X8).
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL, kemu::verifier_code::kIrqlRtlPassive);
  CheckPath(kernel, kRoutine, RelativeTo, Path);
  CheckValueName(kernel, kRoutine, ValueName);
  return kernel.registry_keys().DeleteValueAt(RelativeTo, Path, ValueName);
}

NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path) {
  static constexpr const char* kRoutine = "RtlCheckRegistryKey";
  Kernel& kernel = KEMU_ENTER(RtlCheckRegistryKey, KEMU_ARG(RelativeTo), KEMU_ARG(Path));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  CheckPath(kernel, kRoutine, RelativeTo, Path);
  return kernel.registry_keys().CheckKey(RelativeTo, Path);
}

NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path) {
  static constexpr const char* kRoutine = "RtlCreateRegistryKey";
  Kernel& kernel = KEMU_ENTER(RtlCreateRegistryKey, KEMU_ARG(RelativeTo), KEMU_ARG(Path));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  CheckPath(kernel, kRoutine, RelativeTo, Path);
  return kernel.registry_keys().CreateKey(RelativeTo, Path);
}

}  // extern "C"
