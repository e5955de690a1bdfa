// READ_/WRITE_REGISTER_*: memory-mapped device registers. Each access is recorded as a kernel
// call (so it shows in reports and is a point where a scheduled interrupt can land) and routed
// through the MmMapIoSpace mapping covering the address (model/io_space.cpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

UCHAR READ_REGISTER_UCHAR(volatile UCHAR* Register) {
  return static_cast<UCHAR>(KEMU_ENTER(READ_REGISTER_UCHAR, KEMU_ARG(Register))
                                .io_space()
                                .ReadRegister(Register, sizeof(UCHAR)));
}

USHORT READ_REGISTER_USHORT(volatile USHORT* Register) {
  return static_cast<USHORT>(KEMU_ENTER(READ_REGISTER_USHORT, KEMU_ARG(Register))
                                 .io_space()
                                 .ReadRegister(Register, sizeof(USHORT)));
}

ULONG READ_REGISTER_ULONG(volatile ULONG* Register) {
  return static_cast<ULONG>(KEMU_ENTER(READ_REGISTER_ULONG, KEMU_ARG(Register))
                                .io_space()
                                .ReadRegister(Register, sizeof(ULONG)));
}

ULONG64 READ_REGISTER_ULONG64(volatile ULONG64* Register) {
  return static_cast<ULONG64>(KEMU_ENTER(READ_REGISTER_ULONG64, KEMU_ARG(Register))
                                  .io_space()
                                  .ReadRegister(Register, sizeof(ULONG64)));
}

VOID WRITE_REGISTER_UCHAR(volatile UCHAR* Register, UCHAR Value) {
  KEMU_ENTER(WRITE_REGISTER_UCHAR, KEMU_ARG(Register), KEMU_ARG(Value))
      .io_space()
      .WriteRegister(Register, sizeof(UCHAR), Value);
}

VOID WRITE_REGISTER_USHORT(volatile USHORT* Register, USHORT Value) {
  KEMU_ENTER(WRITE_REGISTER_USHORT, KEMU_ARG(Register), KEMU_ARG(Value))
      .io_space()
      .WriteRegister(Register, sizeof(USHORT), Value);
}

VOID WRITE_REGISTER_ULONG(volatile ULONG* Register, ULONG Value) {
  KEMU_ENTER(WRITE_REGISTER_ULONG, KEMU_ARG(Register), KEMU_ARG(Value))
      .io_space()
      .WriteRegister(Register, sizeof(ULONG), Value);
}

VOID WRITE_REGISTER_ULONG64(volatile ULONG64* Register, ULONG64 Value) {
  KEMU_ENTER(WRITE_REGISTER_ULONG64, KEMU_ARG(Register), KEMU_ARG(Value))
      .io_space()
      .WriteRegister(Register, sizeof(ULONG64), Value);
}

VOID READ_REGISTER_BUFFER_UCHAR(volatile UCHAR* Register, PUCHAR Buffer, ULONG Count) {
  KEMU_ENTER(READ_REGISTER_BUFFER_UCHAR, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadRegisterBuffer("READ_REGISTER_BUFFER_UCHAR", Register, sizeof(UCHAR), Buffer, Count);
}

VOID READ_REGISTER_BUFFER_USHORT(volatile USHORT* Register, PUSHORT Buffer, ULONG Count) {
  KEMU_ENTER(READ_REGISTER_BUFFER_USHORT, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadRegisterBuffer("READ_REGISTER_BUFFER_USHORT", Register, sizeof(USHORT), Buffer, Count);
}

VOID READ_REGISTER_BUFFER_ULONG(volatile ULONG* Register, PULONG Buffer, ULONG Count) {
  KEMU_ENTER(READ_REGISTER_BUFFER_ULONG, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadRegisterBuffer("READ_REGISTER_BUFFER_ULONG", Register, sizeof(ULONG), Buffer, Count);
}

VOID READ_REGISTER_BUFFER_ULONG64(volatile ULONG64* Register, PULONG64 Buffer, ULONG Count) {
  KEMU_ENTER(READ_REGISTER_BUFFER_ULONG64, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadRegisterBuffer("READ_REGISTER_BUFFER_ULONG64", Register, sizeof(ULONG64), Buffer, Count);
}

VOID WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR* Register, PUCHAR Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_REGISTER_BUFFER_UCHAR, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WriteRegisterBuffer("WRITE_REGISTER_BUFFER_UCHAR", Register, sizeof(UCHAR), Buffer, Count);
}

VOID WRITE_REGISTER_BUFFER_USHORT(volatile USHORT* Register, PUSHORT Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_REGISTER_BUFFER_USHORT, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WriteRegisterBuffer("WRITE_REGISTER_BUFFER_USHORT", Register, sizeof(USHORT), Buffer, Count);
}

VOID WRITE_REGISTER_BUFFER_ULONG(volatile ULONG* Register, PULONG Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_REGISTER_BUFFER_ULONG, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WriteRegisterBuffer("WRITE_REGISTER_BUFFER_ULONG", Register, sizeof(ULONG), Buffer, Count);
}

VOID WRITE_REGISTER_BUFFER_ULONG64(volatile ULONG64* Register, PULONG64 Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_REGISTER_BUFFER_ULONG64, KEMU_ARG(Register), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WriteRegisterBuffer("WRITE_REGISTER_BUFFER_ULONG64", Register, sizeof(ULONG64), Buffer,
                           Count);
}

}  // extern "C"
