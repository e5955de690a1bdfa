// race_disconnect_driver.h — an ISR (no DPC) whose state the stop path reuses right after
// IoDisconnectInterrupt, while the ISR may be running on another vCPU. Built with
// kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_DISCONNECT_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_DISCONNECT_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _DISCONNECT_DEVICE {
  PKINTERRUPT Interrupt;
  ULONG LastCause;  // the ISR's, and the stop path's once the ISR runs nowhere
  ULONG Count;
} DISCONNECT_DEVICE, *PDISCONNECT_DEVICE;

// IoConnectInterrupt of an edge ISR on `Vector`, allowed on the vCPUs of `Affinity`.
NTSTATUS DisconnectConnect(PDISCONNECT_DEVICE Device, ULONG Vector, KIRQL Irql, KAFFINITY Affinity);
// IoDisconnectInterrupt, then clears what the ISR wrote (correct: no flush is needed, the ISR
// queues no DPC).
VOID DisconnectThenClear(PDISCONNECT_DEVICE Device);
// Clears what the ISR wrote while it is still connected (the bug), then disconnects.
VOID ClearThenDisconnect(PDISCONNECT_DEVICE Device);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_DISCONNECT_DRIVER_H_
