// kemu_wdk_registry.h — the registry as a driver reads its parameters from it: the device's
// hardware and software keys (IoOpenDeviceRegistryKey), keys by name (ZwOpenKey, ZwCreateKey),
// their values (ZwQueryValueKey, ZwSetValueKey, ZwDeleteValueKey, ZwEnumerateValueKey), the keys
// themselves (ZwQueryKey, ZwEnumerateKey, ZwDeleteKey, ZwFlushKey), the table-driven
// RtlQueryRegistryValues and the path-driven RtlWriteRegistryValue, RtlDeleteRegistryValue,
// RtlCheckRegistryKey and RtlCreateRegistryKey. Keys are closed with ZwClose. docs/kernel.md
// "Registry" says what kemu models.
//
//   HANDLE key;
//   if (NT_SUCCESS(IoOpenDeviceRegistryKey(pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key))) {
//     UNICODE_STRING name = RTL_CONSTANT_STRING(L"MSISupported");
//     UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
//     ULONG length;
//     if (NT_SUCCESS(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer,
//                                    sizeof buffer, &length))) { ... }
//     ZwClose(key);
//   }
#ifndef KEMU_WDK_REGISTRY_H_
#define KEMU_WDK_REGISTRY_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_thread.h"

// Access rights of a key handle (ACCESS_MASK bits).
#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE 0x0002
#define KEY_CREATE_SUB_KEY 0x0004
#define KEY_ENUMERATE_SUB_KEYS 0x0008
#define KEY_NOTIFY 0x0010
#define KEY_CREATE_LINK 0x0020
#define KEY_WOW64_64KEY 0x0100
#define KEY_WOW64_32KEY 0x0200
#ifndef DELETE
#define DELETE 0x00010000L
#endif
#ifndef READ_CONTROL
#define READ_CONTROL 0x00020000L
#endif
#ifndef STANDARD_RIGHTS_READ
#define STANDARD_RIGHTS_READ READ_CONTROL
#endif
#ifndef STANDARD_RIGHTS_WRITE
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#endif
#ifndef STANDARD_RIGHTS_ALL
#define STANDARD_RIGHTS_ALL 0x001F0000L
#endif
#ifndef MAXIMUM_ALLOWED
#define MAXIMUM_ALLOWED 0x02000000L
#endif
#ifndef GENERIC_READ
#define GENERIC_READ 0x80000000L
#define GENERIC_WRITE 0x40000000L
#define GENERIC_EXECUTE 0x20000000L
#define GENERIC_ALL 0x10000000L
#endif
/// Read: query and enumerate values and subkeys, be notified of changes.
#define KEY_READ \
  ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & (~SYNCHRONIZE))
/// Write: set values, create subkeys.
#define KEY_WRITE ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & (~SYNCHRONIZE))
#define KEY_EXECUTE ((KEY_READ) & (~SYNCHRONIZE))
#define KEY_ALL_ACCESS                                                           \
  ((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY | \
    KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY | KEY_CREATE_LINK) &                     \
   (~SYNCHRONIZE))

// Value types: how the bytes of a value are to be read. The registry stores the bytes as given.
#define REG_NONE 0
#define REG_SZ 1                   ///< a NUL-terminated WCHAR string
#define REG_EXPAND_SZ 2            ///< a string with %NAME% references to expand
#define REG_BINARY 3               ///< bytes
#define REG_DWORD 4                ///< a ULONG, little-endian
#define REG_DWORD_LITTLE_ENDIAN 4  ///< the same
#define REG_DWORD_BIG_ENDIAN 5
#define REG_LINK 6
#define REG_MULTI_SZ 7  ///< strings one after another, the list ended by an empty string
#define REG_RESOURCE_LIST 8
#define REG_FULL_RESOURCE_DESCRIPTOR 9
#define REG_RESOURCE_REQUIREMENTS_LIST 10
#define REG_QWORD 11                ///< a ULONGLONG, little-endian
#define REG_QWORD_LITTLE_ENDIAN 11  ///< the same

// ZwCreateKey's CreateOptions and *Disposition.
#define REG_OPTION_RESERVED 0x00000000L
#define REG_OPTION_NON_VOLATILE 0x00000000L
#define REG_OPTION_VOLATILE 0x00000001L
#define REG_OPTION_CREATE_LINK 0x00000002L
#define REG_OPTION_BACKUP_RESTORE 0x00000004L
#define REG_OPTION_OPEN_LINK 0x00000008L
#define REG_CREATED_NEW_KEY 0x00000001L
#define REG_OPENED_EXISTING_KEY 0x00000002L

// IoOpenDeviceRegistryKey's DevInstKeyType: the hardware key or the software key, optionally the
// one relative to the current hardware profile.
#define PLUGPLAY_REGKEY_DEVICE 1
#define PLUGPLAY_REGKEY_DRIVER 2
#define PLUGPLAY_REGKEY_CURRENT_HWPROFILE 4

/// What ZwQueryValueKey and ZwEnumerateValueKey return about a value.
typedef enum _KEY_VALUE_INFORMATION_CLASS KEMU_WDK_ENUM_INT {
  KeyValueBasicInformation = 0,
  KeyValueFullInformation = 1,
  KeyValuePartialInformation = 2,
  KeyValueFullInformationAlign64 = 3,
  KeyValuePartialInformationAlign64 = 4,
  KeyValueLayerInformation = 5,
  MaxKeyValueInfoClass = 6
} KEY_VALUE_INFORMATION_CLASS;

/// The value's type and name (NameLength bytes of WCHARs, not NUL-terminated).
typedef struct _KEY_VALUE_BASIC_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG NameLength;
  WCHAR Name[1];
} KEY_VALUE_BASIC_INFORMATION, *PKEY_VALUE_BASIC_INFORMATION;

/// Type, name and data: the data starts DataOffset bytes from the start of the structure.
typedef struct _KEY_VALUE_FULL_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG DataOffset;
  ULONG DataLength;
  ULONG NameLength;
  WCHAR Name[1];
} KEY_VALUE_FULL_INFORMATION, *PKEY_VALUE_FULL_INFORMATION;

/// Type and data (DataLength bytes from Data): what a driver reading a parameter asks for.
typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG DataLength;
  UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

/// What ZwQueryKey and ZwEnumerateKey return about a key.
typedef enum _KEY_INFORMATION_CLASS KEMU_WDK_ENUM_INT {
  KeyBasicInformation = 0,
  KeyNodeInformation = 1,
  KeyFullInformation = 2,
  KeyNameInformation = 3,
  KeyCachedInformation = 4,
  KeyFlagsInformation = 5,
  KeyVirtualizationInformation = 6,
  KeyHandleTagsInformation = 7,
  KeyTrustInformation = 8,
  KeyLayerInformation = 9,
  MaxKeyInfoClass = 10
} KEY_INFORMATION_CLASS;

/// The key's last write time and name (NameLength bytes of WCHARs, not NUL-terminated).
typedef struct _KEY_BASIC_INFORMATION {
  LARGE_INTEGER LastWriteTime;
  ULONG TitleIndex;
  ULONG NameLength;
  WCHAR Name[1];
} KEY_BASIC_INFORMATION, *PKEY_BASIC_INFORMATION;

/// As KEY_BASIC_INFORMATION, with the key's class (ClassLength bytes at ClassOffset).
typedef struct _KEY_NODE_INFORMATION {
  LARGE_INTEGER LastWriteTime;
  ULONG TitleIndex;
  ULONG ClassOffset;
  ULONG ClassLength;
  ULONG NameLength;
  WCHAR Name[1];
} KEY_NODE_INFORMATION, *PKEY_NODE_INFORMATION;

/// The key's class and the counts and longest names and data of its subkeys and values: what a
/// driver sizes its enumeration buffers by.
typedef struct _KEY_FULL_INFORMATION {
  LARGE_INTEGER LastWriteTime;
  ULONG TitleIndex;
  ULONG ClassOffset;
  ULONG ClassLength;
  ULONG SubKeys;
  ULONG MaxNameLen;
  ULONG MaxClassLen;
  ULONG Values;
  ULONG MaxValueNameLen;
  ULONG MaxValueDataLen;
  WCHAR Class[1];
} KEY_FULL_INFORMATION, *PKEY_FULL_INFORMATION;

// RtlQueryRegistryValues: what Path is relative to (RelativeTo), and the flags of a table entry.
#define RTL_REGISTRY_ABSOLUTE 0  ///< Path is \Registry\...
#define RTL_REGISTRY_SERVICES 1  ///< \Registry\Machine\System\CurrentControlSet\Services
#define RTL_REGISTRY_CONTROL 2   ///< \Registry\Machine\System\CurrentControlSet\Control
#define RTL_REGISTRY_WINDOWS_NT \
  3  ///< \Registry\Machine\Software\Microsoft\Windows NT\CurrentVersion
#define RTL_REGISTRY_DEVICEMAP 4  ///< \Registry\Machine\Hardware\DeviceMap
#define RTL_REGISTRY_USER 5       ///< \Registry\User\CurrentUser
#define RTL_REGISTRY_MAXIMUM 6
#define RTL_REGISTRY_HANDLE 0x40000000    ///< Path is a key handle
#define RTL_REGISTRY_OPTIONAL 0x80000000  ///< a missing key is no error

#define RTL_QUERY_REGISTRY_SUBKEY 0x00000001
#define RTL_QUERY_REGISTRY_TOPKEY 0x00000002
#define RTL_QUERY_REGISTRY_REQUIRED 0x00000004
#define RTL_QUERY_REGISTRY_NOVALUE 0x00000008
#define RTL_QUERY_REGISTRY_NOEXPAND 0x00000010
#define RTL_QUERY_REGISTRY_DIRECT 0x00000020
#define RTL_QUERY_REGISTRY_DELETE 0x00000040
#define RTL_QUERY_REGISTRY_NOSTRING 0x00000080
#define RTL_QUERY_REGISTRY_TYPECHECK 0x00000100
#define RTL_QUERY_REGISTRY_TYPECHECK_SHIFT 24
#define RTL_QUERY_REGISTRY_TYPECHECK_MASK (0xffu << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT)

/// Called by RtlQueryRegistryValues with one value of the key (or the entry's default).
typedef NTSTATUS NTAPI RTL_QUERY_REGISTRY_ROUTINE(PWSTR ValueName, ULONG ValueType, PVOID ValueData,
                                                  ULONG ValueLength, PVOID Context,
                                                  PVOID EntryContext);
typedef RTL_QUERY_REGISTRY_ROUTINE *PRTL_QUERY_REGISTRY_ROUTINE;

/// One entry of RtlQueryRegistryValues' table; the table ends with an entry whose QueryRoutine
/// and Name are both NULL.
typedef struct _RTL_QUERY_REGISTRY_TABLE {
  PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
  ULONG Flags;
  PWSTR Name;
  PVOID EntryContext;
  ULONG DefaultType;
  PVOID DefaultData;
  ULONG DefaultLength;
} RTL_QUERY_REGISTRY_TABLE, *PRTL_QUERY_REGISTRY_TABLE;

KEMU_WDK_STATIC_ASSERT(sizeof(KEY_VALUE_INFORMATION_CLASS) == 4,
                       "KEY_VALUE_INFORMATION_CLASS is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_VALUE_BASIC_INFORMATION) == 16 &&
                           offsetof(KEY_VALUE_BASIC_INFORMATION, Name) == 12,
                       "KEY_VALUE_BASIC_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_VALUE_FULL_INFORMATION) == 24 &&
                           offsetof(KEY_VALUE_FULL_INFORMATION, Name) == 20,
                       "KEY_VALUE_FULL_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_VALUE_PARTIAL_INFORMATION) == 16 &&
                           offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data) == 12,
                       "KEY_VALUE_PARTIAL_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_INFORMATION_CLASS) == 4,
                       "KEY_INFORMATION_CLASS is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_BASIC_INFORMATION) == 24 &&
                           offsetof(KEY_BASIC_INFORMATION, Name) == 16,
                       "KEY_BASIC_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_NODE_INFORMATION) == 32 &&
                           offsetof(KEY_NODE_INFORMATION, Name) == 24,
                       "KEY_NODE_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(KEY_FULL_INFORMATION) == 48 &&
                           offsetof(KEY_FULL_INFORMATION, Class) == 44,
                       "KEY_FULL_INFORMATION layout");
KEMU_WDK_STATIC_ASSERT(sizeof(RTL_QUERY_REGISTRY_TABLE) == 56 &&
                           offsetof(RTL_QUERY_REGISTRY_TABLE, EntryContext) == 24 &&
                           offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultLength) == 48,
                       "RTL_QUERY_REGISTRY_TABLE is 56 bytes on x64");

KEMU_WDK_BEGIN_DECLS

/// PASSIVE_LEVEL. A handle to the device's hardware key (PLUGPLAY_REGKEY_DEVICE, the "Device
/// Parameters" key) or software key (PLUGPLAY_REGKEY_DRIVER), optionally the one under the
/// current hardware profile. `DeviceObject` must be a PDO the PnP manager enumerated. Close the
/// handle with ZwClose.
NTKERNELAPI NTSTATUS NTAPI IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject,
                                                   ULONG DevInstKeyType, ACCESS_MASK DesiredAccess,
                                                   PHANDLE DeviceRegKey);
/// PASSIVE_LEVEL. Opens the key ObjectAttributes names (absolute, or relative to RootDirectory).
NTSYSAPI NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                                  POBJECT_ATTRIBUTES ObjectAttributes);
/// PASSIVE_LEVEL. Opens the key, creating it first when it does not exist (its parent must).
NTSYSAPI NTSTATUS NTAPI ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                                    POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex,
                                    PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition);
/// PASSIVE_LEVEL. One value of the key, as KeyValueInformationClass says. A short buffer:
/// STATUS_BUFFER_TOO_SMALL when not even the fixed part fits (nothing written),
/// STATUS_BUFFER_OVERFLOW when it does (what fits written); *ResultLength is the size needed.
NTSYSAPI NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                                        KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                        PVOID KeyValueInformation, ULONG Length,
                                        PULONG ResultLength);
/// PASSIVE_LEVEL. The Index-th value of the key (STATUS_NO_MORE_ENTRIES past the last).
NTSYSAPI NTSTATUS NTAPI ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                                            KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                            PVOID KeyValueInformation, ULONG Length,
                                            PULONG ResultLength);
/// PASSIVE_LEVEL. Creates or replaces a value: DataSize bytes of Data, of type Type. ValueName
/// NULL (or an empty name) is the key's unnamed value.
NTSYSAPI NTSTATUS NTAPI ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex,
                                      ULONG Type, PVOID Data, ULONG DataSize);
/// PASSIVE_LEVEL. Removes a value (STATUS_OBJECT_NAME_NOT_FOUND if there is none).
NTSYSAPI NTSTATUS NTAPI ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName);
/// PASSIVE_LEVEL. The key itself, as KeyInformationClass says (Basic, Node or Full; another
/// class is STATUS_INVALID_PARAMETER). Short buffers as ZwQueryValueKey.
NTSYSAPI NTSTATUS NTAPI ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
                                   PVOID KeyInformation, ULONG Length, PULONG ResultLength);
/// PASSIVE_LEVEL. The Index-th subkey of the key (STATUS_NO_MORE_ENTRIES past the last).
NTSYSAPI NTSTATUS NTAPI ZwEnumerateKey(HANDLE KeyHandle, ULONG Index,
                                       KEY_INFORMATION_CLASS KeyInformationClass,
                                       PVOID KeyInformation, ULONG Length, PULONG ResultLength);
/// PASSIVE_LEVEL. Deletes the key (it must have no subkeys); the handle stays open until ZwClose
/// and every other call through it fails with STATUS_KEY_DELETED.
NTSYSAPI NTSTATUS NTAPI ZwDeleteKey(HANDLE KeyHandle);
/// PASSIVE_LEVEL. Writes the key's changes to disk; kemu's registry lives in memory.
NTSYSAPI NTSTATUS NTAPI ZwFlushKey(HANDLE KeyHandle);
/// PASSIVE_LEVEL. Sets ValueName under the key RelativeTo and Path name, creating that key when
/// its parent exists.
NTSYSAPI NTSTATUS NTAPI RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName,
                                              ULONG ValueType, PVOID ValueData, ULONG ValueLength);
/// PASSIVE_LEVEL. Deletes ValueName from the key RelativeTo and Path name
/// (STATUS_OBJECT_NAME_NOT_FOUND when the key or the value is missing).
NTSYSAPI NTSTATUS NTAPI RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName);
/// PASSIVE_LEVEL. STATUS_SUCCESS when the key RelativeTo and Path name exists.
NTSYSAPI NTSTATUS NTAPI RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path);
/// PASSIVE_LEVEL. Creates the key RelativeTo and Path name (its parent must exist).
NTSYSAPI NTSTATUS NTAPI RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path);
/// PASSIVE_LEVEL. Reads several values of one key as QueryTable describes.
NTSYSAPI NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path,
                                               PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context,
                                               PVOID Environment);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_REGISTRY_H_
