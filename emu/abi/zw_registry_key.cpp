// Registry exports on keys themselves (docs/kernel.md, "Registry"): ZwQueryKey, ZwEnumerateKey,
// ZwDeleteKey and ZwFlushKey. The value routines are in zw_registry.cpp.
#include <wdm.h>

#include <string>

#include "abi/entry.hpp"
#include "abi/zw_passive.hpp"
#include "model/registry_keys.hpp"

namespace {

using kemu::abi::CheckZwPassive;
using kemu::model::Kernel;

/// The classes ZwQueryKey and ZwEnumerateKey accept: STATUS_SUCCESS for Basic, Node and Full;
/// STATUS_INVALID_PARAMETER for a value that is no class and, for ZwEnumerateKey, for any other
/// class (as its page says); ZwQueryKey's other classes fail by name.
NTSTATUS CheckClass(Kernel& kernel, const char* routine, ULONG info_class, bool enumerating) {
  switch (info_class) {
    case KeyBasicInformation:
    case KeyNodeInformation:
    case KeyFullInformation:
      return STATUS_SUCCESS;
    default:
      if (enumerating || info_class >= MaxKeyInfoClass) return STATUS_INVALID_PARAMETER;
      kernel.ThrowNotModelled(std::string(routine) + " with KEY_INFORMATION_CLASS " +
                              std::to_string(info_class));
  }
}

// What ZwQueryKey and ZwEnumerateKey check alike, in ZwQueryValueKey's order: the result length,
// the information class, the key (its path into `*path`), the output buffer.
NTSTATUS CheckKeyRequest(Kernel& kernel, const char* routine, HANDLE key, ULONG info_class,
                         bool enumerating, PVOID information, ULONG length, PULONG result_length,
                         std::wstring* path) {
  CheckZwPassive(kernel, routine);
  kernel.verifier().Dereferenced(routine, result_length, "ResultLength");
  if (const NTSTATUS status = CheckClass(kernel, routine, info_class, enumerating);
      status != STATUS_SUCCESS) {
    return status;
  }
  if (const NTSTATUS status = kernel.registry_keys().Resolve(key, path); status != STATUS_SUCCESS) {
    return status;
  }
  // The pool block the buffer lies in bounds what is written (CopyValueInformation).
  if (length > 0) kernel.verifier().Dereferenced(routine, information, "KeyInformation");
  return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

NTSTATUS ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
                    PVOID KeyInformation, ULONG Length, PULONG ResultLength) {
  static constexpr const char* kRoutine = "ZwQueryKey";
  Kernel& kernel = KEMU_ENTER(ZwQueryKey, KEMU_ARG(KeyHandle), KEMU_ARG(KeyInformationClass),
                              KEMU_ARG(KeyInformation), KEMU_ARG(Length), KEMU_ARG(ResultLength));
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto info_class = static_cast<ULONG>(kemu::abi::Arg(KeyInformationClass));
  std::wstring path;
  if (const NTSTATUS status = CheckKeyRequest(kernel, kRoutine, KeyHandle, info_class, false,
                                              KeyInformation, Length, ResultLength, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().QueryKey(path, info_class, KeyInformation, Length, ResultLength);
}

NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass,
                        PVOID KeyInformation, ULONG Length, PULONG ResultLength) {
  static constexpr const char* kRoutine = "ZwEnumerateKey";
  Kernel& kernel = KEMU_ENTER(ZwEnumerateKey, KEMU_ARG(KeyHandle), KEMU_ARG(Index),
                              KEMU_ARG(KeyInformationClass), KEMU_ARG(KeyInformation),
                              KEMU_ARG(Length), KEMU_ARG(ResultLength));
  const auto info_class = static_cast<ULONG>(kemu::abi::Arg(KeyInformationClass));
  std::wstring path;
  if (const NTSTATUS status = CheckKeyRequest(kernel, kRoutine, KeyHandle, info_class, true,
                                              KeyInformation, Length, ResultLength, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().EnumerateKey(path, Index, info_class, KeyInformation, Length,
                                             ResultLength);
}

NTSTATUS ZwDeleteKey(HANDLE KeyHandle) {
  Kernel& kernel = KEMU_ENTER(ZwDeleteKey, KEMU_ARG(KeyHandle));
  CheckZwPassive(kernel, "ZwDeleteKey");
  std::wstring path;
  if (const NTSTATUS status = kernel.registry_keys().Resolve(KeyHandle, &path);
      status != STATUS_SUCCESS) {
    return status;
  }
  return kernel.registry_keys().DeleteKey(path);
}

NTSTATUS ZwFlushKey(HANDLE KeyHandle) {
  Kernel& kernel = KEMU_ENTER(ZwFlushKey, KEMU_ARG(KeyHandle));
  CheckZwPassive(kernel, "ZwFlushKey");
  // The registry lives in the machine's memory: once the handle is good there is nothing to
  // write, and the key's contents are already what every later reader sees.
  std::wstring path;
  return kernel.registry_keys().Resolve(KeyHandle, &path);
}

}  // extern "C"
