// nic_internal.h — what the driver's two source files share and nothing else sees:
// nic_driver.c (start, stop, connect) and nic_interrupt.c (ISR, DPC, statistics).
//
// Both files are compiled six times (examples/nic/CMakeLists.txt): as is, and with one of the
// NIC_BUG_* defines, each a mistake real drivers make. The buggy variants rename every external
// routine so that all four libraries link into one test program.
#ifndef KEMU_EXAMPLES_NIC_DRIVER_NIC_INTERNAL_H_
#define KEMU_EXAMPLES_NIC_DRIVER_NIC_INTERNAL_H_

#if defined(NIC_BUG_SPINLOCK_AT_DIRQL) + defined(NIC_BUG_NO_ACK) +               \
        defined(NIC_BUG_UNSYNCHRONIZED_DPC) + defined(NIC_BUG_LEAK_RX_BUFFERS) + \
        defined(NIC_BUG_WAIT_AT_DISPATCH) >                                      \
    1
#error "build one NIC_BUG_* variant at a time"
#endif
#if defined(NIC_BUG_SPINLOCK_AT_DIRQL)
#define NIC_RENAME(Name) NicBugSpinLockAtDirql##Name
#define NIC_VARIANT NicDriverBugSpinLockAtDirql
#define NIC_VARIANT_NAME "NIC_BUG_SPINLOCK_AT_DIRQL"
#elif defined(NIC_BUG_NO_ACK)
#define NIC_RENAME(Name) NicBugNoAck##Name
#define NIC_VARIANT NicDriverBugNoAck
#define NIC_VARIANT_NAME "NIC_BUG_NO_ACK"
#elif defined(NIC_BUG_UNSYNCHRONIZED_DPC)
#define NIC_RENAME(Name) NicBugUnsynchronizedDpc##Name
#define NIC_VARIANT NicDriverBugUnsynchronizedDpc
#define NIC_VARIANT_NAME "NIC_BUG_UNSYNCHRONIZED_DPC"
#elif defined(NIC_BUG_LEAK_RX_BUFFERS)
#define NIC_RENAME(Name) NicBugLeakRxBuffers##Name
#define NIC_VARIANT NicDriverBugLeakRxBuffers
#define NIC_VARIANT_NAME "NIC_BUG_LEAK_RX_BUFFERS"
#elif defined(NIC_BUG_WAIT_AT_DISPATCH)
#define NIC_RENAME(Name) NicBugWaitAtDispatch##Name
#define NIC_VARIANT NicDriverBugWaitAtDispatch
#define NIC_VARIANT_NAME "NIC_BUG_WAIT_AT_DISPATCH"
#else
#define NIC_VARIANT NicDriver
#define NIC_VARIANT_NAME "nic_driver"
#endif
#ifdef NIC_RENAME
#define NicStartDevice NIC_RENAME(StartDevice)
#define NicStopDevice NIC_RENAME(StopDevice)
#define NicGetStatistics NIC_RENAME(GetStatistics)
#define NicConnectVersionName NIC_RENAME(ConnectVersionName)
#define NicLineIsr NIC_RENAME(LineIsr)
#define NicMessageIsr NIC_RENAME(MessageIsr)
#define NicDpc NIC_RENAME(Dpc)
#define NicLinkReport NIC_RENAME(LinkReport)
#endif

#include "nic_driver.h"

#if NTDDI_VERSION < NTDDI_VISTA && !defined(IoConnectInterruptEx)
#error "an XP-targeted driver must reach IoConnectInterruptEx through Iointex.lib (iointex.h)"
#endif

/// The address of the 32-bit register at Offset in the mapped BAR.
static inline volatile ULONG *NicRegister(PNIC_EXTENSION Extension, ULONG Offset) {
  return (volatile ULONG *)(Extension->Registers + Offset);
}

// nic_interrupt.c: the service routines NicStartDevice connects and the DPC it initialises.
KSERVICE_ROUTINE NicLineIsr;
KMESSAGE_SERVICE_ROUTINE NicMessageIsr;
KDEFERRED_ROUTINE NicDpc;
IO_WORKITEM_ROUTINE NicLinkReport;

#endif  // KEMU_EXAMPLES_NIC_DRIVER_NIC_INTERNAL_H_
