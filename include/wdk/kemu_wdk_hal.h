// kemu_wdk_hal.h — device register and I/O port access (READ_/WRITE_REGISTER_*,
// READ_/WRITE_PORT_*).
//
// On Windows x64 these are inline functions in the WDK headers that compile to plain loads and
// stores or to in/out instructions. kemu declares them as ordinary functions instead, so every
// access reaches the emulated device that owns the address: a register address must lie in a
// range the driver mapped with MmMapIoSpace, a port in a range its device was granted. The
// BUFFER variants perform Count accesses to the same register or port.
//
//   PUCHAR regs = (PUCHAR)MmMapIoSpace(memory->u.Memory.Start, memory->u.Memory.Length,
//                                      MmNonCached);
//   ULONG cause = READ_REGISTER_ULONG((PULONG)(regs + 0x10));
//   WRITE_REGISTER_ULONG((PULONG)(regs + 0x10), cause);     /* write-1-to-clear acknowledge */
//   UCHAR lsr = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)(port->u.Port.Start.LowPart + 5));
#ifndef KEMU_WDK_HAL_H_
#define KEMU_WDK_HAL_H_

#include "kemu_wdk_base.h"

KEMU_WDK_BEGIN_DECLS

// Memory-mapped registers.
NTHALAPI UCHAR NTAPI READ_REGISTER_UCHAR(volatile UCHAR *Register);
NTHALAPI USHORT NTAPI READ_REGISTER_USHORT(volatile USHORT *Register);
NTHALAPI ULONG NTAPI READ_REGISTER_ULONG(volatile ULONG *Register);
NTHALAPI ULONG64 NTAPI READ_REGISTER_ULONG64(volatile ULONG64 *Register);

NTHALAPI VOID NTAPI WRITE_REGISTER_UCHAR(volatile UCHAR *Register, UCHAR Value);
NTHALAPI VOID NTAPI WRITE_REGISTER_USHORT(volatile USHORT *Register, USHORT Value);
NTHALAPI VOID NTAPI WRITE_REGISTER_ULONG(volatile ULONG *Register, ULONG Value);
NTHALAPI VOID NTAPI WRITE_REGISTER_ULONG64(volatile ULONG64 *Register, ULONG64 Value);

NTHALAPI VOID NTAPI READ_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer,
                                               ULONG Count);
NTHALAPI VOID NTAPI READ_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer,
                                                ULONG Count);
NTHALAPI VOID NTAPI READ_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer,
                                               ULONG Count);
NTHALAPI VOID NTAPI READ_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, PULONG64 Buffer,
                                                 ULONG Count);

NTHALAPI VOID NTAPI WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer,
                                                ULONG Count);
NTHALAPI VOID NTAPI WRITE_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer,
                                                 ULONG Count);
NTHALAPI VOID NTAPI WRITE_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer,
                                                ULONG Count);
NTHALAPI VOID NTAPI WRITE_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, PULONG64 Buffer,
                                                  ULONG Count);

// I/O ports. The port number is the pointer's value, truncated to 16 bits as by the x64 in/out
// instructions; a port no device owns reads all ones and ignores writes.
NTHALAPI UCHAR NTAPI READ_PORT_UCHAR(PUCHAR Port);
NTHALAPI USHORT NTAPI READ_PORT_USHORT(PUSHORT Port);
NTHALAPI ULONG NTAPI READ_PORT_ULONG(PULONG Port);

NTHALAPI VOID NTAPI WRITE_PORT_UCHAR(PUCHAR Port, UCHAR Value);
NTHALAPI VOID NTAPI WRITE_PORT_USHORT(PUSHORT Port, USHORT Value);
NTHALAPI VOID NTAPI WRITE_PORT_ULONG(PULONG Port, ULONG Value);

NTHALAPI VOID NTAPI READ_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count);
NTHALAPI VOID NTAPI READ_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count);
NTHALAPI VOID NTAPI READ_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count);

NTHALAPI VOID NTAPI WRITE_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count);
NTHALAPI VOID NTAPI WRITE_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count);
NTHALAPI VOID NTAPI WRITE_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_HAL_H_
