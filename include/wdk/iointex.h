// iointex.h — kemu's Iointex.lib header: IoConnectInterruptEx for drivers that target 2000/XP/2003.
//
// Include it after <wdm.h> or <ntddk.h> (or alone). It always declares the Wdmlib* entry points,
// which behave like the kernel routines on Vista+ personalities and accept only
// CONNECT_FULLY_SPECIFIED on older ones. For targets below Vista it also maps the kernel names to
// them, so driver code calls IoConnectInterruptEx whatever it targets:
//
//   #define NTDDI_VERSION NTDDI_WINXP
//   #include <wdm.h>
//   #include <iointex.h>
//   status = IoConnectInterruptEx(&params);   // calls WdmlibIoConnectInterruptEx
//   if (!NT_SUCCESS(status) && params.Version == CONNECT_FULLY_SPECIFIED) { /* retry as v1 */ }
#ifndef KEMU_WDK_IOINTEX_H_
#define KEMU_WDK_IOINTEX_H_

#include "kemu_wdk_connect.h"
#include "wdm.h"

KEMU_WDK_BEGIN_DECLS

NTSTATUS NTAPI WdmlibIoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters);
/// Returns nothing, as documented and as the kernel's IoDisconnectInterruptEx does; the Vista-era
/// WDK header declared an NTSTATUS result instead.
VOID NTAPI WdmlibIoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters);
NTSTATUS NTAPI WdmlibIoGetAffinityInterrupt(PKINTERRUPT InterruptObject,
                                            PGROUP_AFFINITY GroupAffinity);

KEMU_WDK_END_DECLS

#if NTDDI_VERSION < NTDDI_VISTA
#define IoConnectInterruptEx WdmlibIoConnectInterruptEx
#define IoDisconnectInterruptEx WdmlibIoDisconnectInterruptEx
#endif
// The kernel exports IoGetAffinityInterrupt from Windows 7 on, so Vista targets need the library
// routine as well.
#if NTDDI_VERSION < NTDDI_WIN7
#define IoGetAffinityInterrupt WdmlibIoGetAffinityInterrupt
#endif

#endif  // KEMU_WDK_IOINTEX_H_
