// Registry key and value exports (docs/kernel.md, "Registry"): ZwOpenKey, ZwCreateKey,
// ZwQueryValueKey, ZwEnumerateValueKey, ZwSetValueKey and ZwDeleteValueKey. The routines on keys
// themselves are in zw_registry_key.cpp; ZwClose is with the other handle routines
// (ps_thread.cpp).
#include <wdm.h>

#include <string>
#include <string_view>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "abi/zw_passive.hpp"
#include "model/host_memory.hpp"
#include "model/registry_keys.hpp"

namespace {

using kemu::abi::CheckZwPassive;
using kemu::model::Kernel;

/// The value name a driver passed. A NULL UNICODE_STRING is misuse the kernel would fault on,
/// except where `null_is_unnamed` (ZwSetValueKey's page: "can be a NULL pointer if the value
/// entry has no name"; audit round 17, X3). The kernel reads Length bytes at Buffer: a NULL or
/// low Buffer behind a nonzero Length is its access violation, not the empty name (X4, X5).
std::wstring_view NameArgument(Kernel& kernel, const char* routine, PUNICODE_STRING name,
                               bool null_is_unnamed = false) {
  if (name == nullptr && null_is_unnamed) return {};
  kemu::abi::CheckReadable(kernel, routine, name, "ValueName");
  if (name->Length == 0) return {};
  return {name->Buffer, name->Length / sizeof(WCHAR)};
}

/// The classes ZwQueryValueKey and ZwEnumerateValueKey accept: STATUS_SUCCESS for the three kemu
/// models, STATUS_INVALID_PARAMETER for a value that is no class; the others fail by name.
NTSTATUS CheckClass(Kernel& kernel, const char* routine, ULONG info_class) {
  switch (info_class) {
    case KeyValueBasicInformation:
    case KeyValueFullInformation:
    case KeyValuePartialInformation:
      return STATUS_SUCCESS;
    case KeyValueFullInformationAlign64:
    case KeyValuePartialInformationAlign64:
    case KeyValueLayerInformation:
      kernel.ThrowNotModelled(std::string(routine) + " with KEY_VALUE_INFORMATION_CLASS " +
                              std::to_string(info_class));
    default:
      return STATUS_INVALID_PARAMETER;
  }
}

NTSTATUS OpenOrCreate(Kernel& kernel, const char* routine, PHANDLE handle, ACCESS_MASK access,
                      POBJECT_ATTRIBUTES attributes, bool create, PULONG disposition) {
  CheckZwPassive(kernel, routine);
  kernel.verifier().Dereferenced(routine, handle, "KeyHandle");
  kernel.verifier().Dereferenced(routine, attributes, "ObjectAttributes");
  // The object manager reads the name's Length bytes: a wild ObjectName or Buffer is its access
  // violation (audit round 17, X4, X5). ObjectName NULL is legal with a RootDirectory.
  if (attributes->ObjectName != nullptr) {
    kemu::abi::CheckReadable(kernel, routine, attributes->ObjectName,
                             "ObjectAttributes->ObjectName");
  }
  return kernel.registry_keys().Open(routine, *attributes, create, access, disposition, handle);
}

// What ZwQueryValueKey and ZwEnumerateValueKey check alike once their own arguments are read: the
// result length, the information class, the key (its path into `*path`), the output buffer.
NTSTATUS CheckValueRequest(Kernel& kernel, const char* routine, HANDLE key, ULONG info_class,
                           PVOID information, ULONG length, PULONG result_length,
                           std::wstring* path) {
  kernel.verifier().Dereferenced(routine, result_length, "ResultLength");
  if (const NTSTATUS status = CheckClass(kernel, routine, info_class); status != STATUS_SUCCESS) {
    return status;
  }
  if (const NTSTATUS status = kernel.registry_keys().Resolve(key, path); status != STATUS_SUCCESS) {
    return status;
  }
  // The pool block the buffer lies in bounds what is written (CopyValueInformation).
  if (length > 0) kernel.verifier().Dereferenced(routine, information, "KeyValueInformation");
  return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                   POBJECT_ATTRIBUTES ObjectAttributes) {
  Kernel& kernel = KEMU_ENTER(ZwOpenKey, KEMU_ARG(KeyHandle), KEMU_ARG(DesiredAccess),
                              KEMU_ARG(ObjectAttributes));
  return OpenOrCreate(kernel, "ZwOpenKey", KeyHandle, DesiredAccess, ObjectAttributes, false,
                      nullptr);
}

NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                     POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex, PUNICODE_STRING Class,
                     ULONG CreateOptions, PULONG Disposition) {
  Kernel& kernel = KEMU_ENTER(ZwCreateKey, KEMU_ARG(KeyHandle), KEMU_ARG(DesiredAccess),
                              KEMU_ARG(ObjectAttributes), KEMU_ARG(TitleIndex), KEMU_ARG(Class),
                              KEMU_ARG(CreateOptions), KEMU_ARG(Disposition));
  // Volatile or not makes no difference to a registry that lives as long as the machine; links
  // and backup semantics kemu does not model.
  if ((CreateOptions & ~ULONG{REG_OPTION_VOLATILE}) != 0) {
    kernel.ThrowNotModelled("ZwCreateKey with CreateOptions " + std::to_string(CreateOptions) +
                            " (kemu models REG_OPTION_NON_VOLATILE and REG_OPTION_VOLATILE)");
  }
  return OpenOrCreate(kernel, "ZwCreateKey", KeyHandle, DesiredAccess, ObjectAttributes, true,
                      Disposition);
}

NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                         KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                         PVOID KeyValueInformation, ULONG Length, PULONG ResultLength) {
  static constexpr const char* kRoutine = "ZwQueryValueKey";
  Kernel& kernel = KEMU_ENTER(ZwQueryValueKey, KEMU_ARG(KeyHandle), KEMU_ARG(ValueName),
                              KEMU_ARG(KeyValueInformationClass), KEMU_ARG(KeyValueInformation),
                              KEMU_ARG(Length), KEMU_ARG(ResultLength));
  CheckZwPassive(kernel, kRoutine);
  const std::wstring_view name = NameArgument(kernel, kRoutine, ValueName);
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto info_class = static_cast<ULONG>(kemu::abi::Arg(KeyValueInformationClass));
  std::wstring path;
  if (const NTSTATUS status = CheckValueRequest(kernel, kRoutine, KeyHandle, info_class,
                                                KeyValueInformation, Length, ResultLength, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().QueryValue(path, name, info_class, KeyValueInformation, Length,
                                           ResultLength);
}

NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                             KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                             PVOID KeyValueInformation, ULONG Length, PULONG ResultLength) {
  static constexpr const char* kRoutine = "ZwEnumerateValueKey";
  Kernel& kernel = KEMU_ENTER(ZwEnumerateValueKey, KEMU_ARG(KeyHandle), KEMU_ARG(Index),
                              KEMU_ARG(KeyValueInformationClass), KEMU_ARG(KeyValueInformation),
                              KEMU_ARG(Length), KEMU_ARG(ResultLength));
  CheckZwPassive(kernel, kRoutine);
  const auto info_class = static_cast<ULONG>(kemu::abi::Arg(KeyValueInformationClass));
  std::wstring path;
  if (const NTSTATUS status = CheckValueRequest(kernel, kRoutine, KeyHandle, info_class,
                                                KeyValueInformation, Length, ResultLength, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().EnumerateValue(path, Index, info_class, KeyValueInformation, Length,
                                               ResultLength);
}

NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type,
                       PVOID Data, ULONG DataSize) {
  static constexpr const char* kRoutine = "ZwSetValueKey";
  Kernel& kernel =
      KEMU_ENTER(ZwSetValueKey, KEMU_ARG(KeyHandle), KEMU_ARG(ValueName), KEMU_ARG(TitleIndex),
                 KEMU_ARG(Type), KEMU_ARG(Data), KEMU_ARG(DataSize));
  CheckZwPassive(kernel, kRoutine);
  const std::wstring_view name = NameArgument(kernel, kRoutine, ValueName, true);
  if (Data == nullptr && DataSize > 0) kernel.verifier().NullArgument(kRoutine, "Data");
  // The registry copies DataSize bytes: a size past the driver's buffer faults in that copy.
  if (const auto unreadable = kemu::model::FirstUnreadable(Data, DataSize)) {
    kernel.verifier().UnreadableArgument(kRoutine, "Data", DataSize, *unreadable);
  }
  std::wstring path;
  if (const NTSTATUS status = kernel.registry_keys().Resolve(KeyHandle, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().SetValue(path, name, Type, Data, DataSize);
}

NTSTATUS ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName) {
  static constexpr const char* kRoutine = "ZwDeleteValueKey";
  Kernel& kernel = KEMU_ENTER(ZwDeleteValueKey, KEMU_ARG(KeyHandle), KEMU_ARG(ValueName));
  // Not in the DDI rule IrqlZwPassive: Microsoft lists ZwDeleteValueKey under IrqlIoRtlZwPassive
  // (0x20023), an additional rule off by default, so the report is the generic IRQL one (audit
  // round 17, X6).
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  const std::wstring_view name = NameArgument(kernel, kRoutine, ValueName);
  std::wstring path;
  if (const NTSTATUS status = kernel.registry_keys().Resolve(KeyHandle, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().DeleteValue(path, name);
}

}  // extern "C"
