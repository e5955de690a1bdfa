/* The C driver of registry_driver.c, shared with registry_driver_test.cpp. */
#ifndef KEMU_TESTS_UNIT_REGISTRY_DRIVER_H_
#define KEMU_TESTS_UNIT_REGISTRY_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _REGISTRY_DRIVER_PARAMETERS {
  ULONG DebugLevel;
  ULONG ReceiveBuffers;
  WCHAR NameBuffer[32];
  UNICODE_STRING Name;
} REGISTRY_DRIVER_PARAMETERS, *PREGISTRY_DRIVER_PARAMETERS;

/* DriverEntry's part: RegistryPath\Parameters, DebugLevel required, the others defaulted. */
NTSTATUS RegistryDriverReadParameters(PUNICODE_STRING RegistryPath,
                                      PREGISTRY_DRIVER_PARAMETERS Parameters);
/* The start routine's part: MSISupported from the hardware key; 0 when absent. */
NTSTATUS RegistryDriverReadMsiSupported(PDEVICE_OBJECT Pdo, PULONG MsiSupported);
/* What the driver leaves for the next start: a REG_DWORD in its software key. */
NTSTATUS RegistryDriverSaveLinkSpeed(PDEVICE_OBJECT Pdo, ULONG Speed);
/* The subkeys of Key whose names start with Prefix, counted with ZwQueryKey and
 * ZwEnumerateKey. */
NTSTATUS RegistryDriverCountSubkeys(HANDLE Key, PCWSTR Prefix, PULONG Count);

#ifdef __cplusplus
}
#endif

#endif /* KEMU_TESTS_UNIT_REGISTRY_DRIVER_H_ */
