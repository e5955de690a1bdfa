/* Driver-style C17 code for registry_driver_test.cpp: how a WDM driver reads its parameters, the
 * older way (RtlQueryRegistryValues with RTL_QUERY_REGISTRY_DIRECT, serial and i8042prt style)
 * and the newer one (IoOpenDeviceRegistryKey and ZwQueryValueKey), written as a driver would. */
#include "registry_driver.h"

#ifdef __cplusplus
#error "registry_driver.c must be compiled as C"
#endif

_Static_assert(sizeof(KEY_VALUE_PARTIAL_INFORMATION) == 16, "KEY_VALUE_PARTIAL_INFORMATION");
_Static_assert(sizeof(RTL_QUERY_REGISTRY_TABLE) == 56, "RTL_QUERY_REGISTRY_TABLE on x64");

/* DriverEntry's part: RegistryPath\Parameters, DebugLevel required, the others defaulted. */
NTSTATUS RegistryDriverReadParameters(PUNICODE_STRING RegistryPath,
                                      PREGISTRY_DRIVER_PARAMETERS Parameters) {
  static const ULONG defaultBuffers = 64;
  static const WCHAR defaultName[] = L"nic";
  RTL_QUERY_REGISTRY_TABLE table[4];
  WCHAR path[256];
  UNICODE_STRING full;
  NTSTATUS status;

  RtlInitEmptyUnicodeString(&full, path, sizeof path);
  status = RtlAppendUnicodeStringToString(&full, RegistryPath);
  if (NT_SUCCESS(status)) status = RtlAppendUnicodeToString(&full, L"\\Parameters");
  if (!NT_SUCCESS(status)) return status;
  if (full.Length + sizeof(WCHAR) > sizeof path) return STATUS_BUFFER_TOO_SMALL;
  path[full.Length / sizeof(WCHAR)] = L'\0'; /* RtlQueryRegistryValues takes a C string */

  RtlInitEmptyUnicodeString(&Parameters->Name, Parameters->NameBuffer,
                            sizeof Parameters->NameBuffer);
  RtlZeroMemory(table, sizeof table);
  table[0].Flags =
      RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED | RTL_QUERY_REGISTRY_TYPECHECK;
  table[0].Name = L"DebugLevel";
  table[0].EntryContext = &Parameters->DebugLevel;
  table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[1].Name = L"NumberOfReceiveBuffers";
  table[1].EntryContext = &Parameters->ReceiveBuffers;
  table[1].DefaultType = REG_DWORD;
  table[1].DefaultData = (PVOID)&defaultBuffers;
  table[1].DefaultLength = sizeof defaultBuffers;
  table[2].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[2].Name = L"Name";
  table[2].EntryContext = &Parameters->Name;
  table[2].DefaultType = REG_SZ;
  table[2].DefaultData = (PVOID)defaultName;
  table[2].DefaultLength = 0;
  return RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, path, table, NULL, NULL);
}

/* The start routine's part: MSISupported from the hardware key; 0 when absent. */
NTSTATUS RegistryDriverReadMsiSupported(PDEVICE_OBJECT Pdo, PULONG MsiSupported) {
  UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
  PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"MSISupported");
  HANDLE key;
  ULONG length = 0;
  NTSTATUS status = IoOpenDeviceRegistryKey(Pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key);
  if (!NT_SUCCESS(status)) return status;
  *MsiSupported = 0;
  status = ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length);
  if (NT_SUCCESS(status) && info->Type == REG_DWORD && info->DataLength == sizeof(ULONG)) {
    RtlCopyMemory(MsiSupported, info->Data, sizeof(ULONG));
  } else if (status == STATUS_OBJECT_NAME_NOT_FOUND) {
    status = STATUS_SUCCESS;
  }
  ZwClose(key);
  return status;
}

/* What the driver leaves for the next start: a REG_DWORD in its software key. */
NTSTATUS RegistryDriverSaveLinkSpeed(PDEVICE_OBJECT Pdo, ULONG Speed) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"LastLinkSpeed");
  HANDLE key;
  NTSTATUS status = IoOpenDeviceRegistryKey(Pdo, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &key);
  if (!NT_SUCCESS(status)) return status;
  status = ZwSetValueKey(key, &name, 0, REG_DWORD, &Speed, sizeof Speed);
  ZwClose(key);
  return status;
}

/* Counts the subkeys of the open key Key whose names start with Prefix (one per queue, say),
 * sizing its buffer from ZwQueryKey's KeyFullInformation as drivers do before ZwEnumerateKey. */
NTSTATUS RegistryDriverCountSubkeys(HANDLE Key, PCWSTR Prefix, PULONG Count) {
  KEY_FULL_INFORMATION full;
  PKEY_BASIC_INFORMATION basic;
  ULONG length, size, index;
  NTSTATUS status;
  SIZE_T prefix = 0;

  while (Prefix[prefix] != L'\0') ++prefix;
  *Count = 0;
  status = ZwQueryKey(Key, KeyFullInformation, &full, sizeof full, &length);
  if (!NT_SUCCESS(status)) return status;
  size = FIELD_OFFSET(KEY_BASIC_INFORMATION, Name) + full.MaxNameLen;
  basic = (PKEY_BASIC_INFORMATION)ExAllocatePoolWithTag(PagedPool, size, 'gerK');
  if (basic == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  for (index = 0;; ++index) {
    status = ZwEnumerateKey(Key, index, KeyBasicInformation, basic, size, &length);
    if (status == STATUS_NO_MORE_ENTRIES) {
      status = STATUS_SUCCESS;
      break;
    }
    if (!NT_SUCCESS(status)) break;
    if (basic->NameLength >= prefix * sizeof(WCHAR) &&
        RtlEqualMemory(basic->Name, Prefix, prefix * sizeof(WCHAR))) {
      ++*Count;
    }
  }
  ExFreePoolWithTag(basic, 'gerK');
  return status;
}
