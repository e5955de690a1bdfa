// tiny_driver.h — the smallest driver a kemu consumer tests: one edge-triggered line interrupt,
// connected with IoConnectInterruptEx (through Iointex.lib, so it runs on every Windows).
#ifndef KEMU_PACKAGE_TINY_DRIVER_H_
#define KEMU_PACKAGE_TINY_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _TINY_EXTENSION {
  PKINTERRUPT Interrupt;
  KSPIN_LOCK InterruptLock;
  ULONG IsrCalls;
} TINY_EXTENSION, *PTINY_EXTENSION;

/// Connects the first interrupt descriptor of `Translated` (CONNECT_FULLY_SPECIFIED).
NTSTATUS TinyStartDevice(PTINY_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                         PCM_RESOURCE_LIST Translated);
/// Disconnects what TinyStartDevice connected.
VOID TinyStopDevice(PTINY_EXTENSION Extension);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_PACKAGE_TINY_DRIVER_H_
