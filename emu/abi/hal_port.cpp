// READ_/WRITE_PORT_*: I/O ports. Each access is recorded as a kernel call and routed to the
// device whose port range holds the port; other ports behave as an empty PC bus
// (model/io_space.cpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

UCHAR READ_PORT_UCHAR(PUCHAR Port) {
  return static_cast<UCHAR>(
      KEMU_ENTER(READ_PORT_UCHAR, KEMU_ARG(Port)).io_space().ReadPort(Port, sizeof(UCHAR)));
}

USHORT READ_PORT_USHORT(PUSHORT Port) {
  return static_cast<USHORT>(
      KEMU_ENTER(READ_PORT_USHORT, KEMU_ARG(Port)).io_space().ReadPort(Port, sizeof(USHORT)));
}

ULONG READ_PORT_ULONG(PULONG Port) {
  return static_cast<ULONG>(
      KEMU_ENTER(READ_PORT_ULONG, KEMU_ARG(Port)).io_space().ReadPort(Port, sizeof(ULONG)));
}

VOID WRITE_PORT_UCHAR(PUCHAR Port, UCHAR Value) {
  KEMU_ENTER(WRITE_PORT_UCHAR, KEMU_ARG(Port), KEMU_ARG(Value))
      .io_space()
      .WritePort(Port, sizeof(UCHAR), Value);
}

VOID WRITE_PORT_USHORT(PUSHORT Port, USHORT Value) {
  KEMU_ENTER(WRITE_PORT_USHORT, KEMU_ARG(Port), KEMU_ARG(Value))
      .io_space()
      .WritePort(Port, sizeof(USHORT), Value);
}

VOID WRITE_PORT_ULONG(PULONG Port, ULONG Value) {
  KEMU_ENTER(WRITE_PORT_ULONG, KEMU_ARG(Port), KEMU_ARG(Value))
      .io_space()
      .WritePort(Port, sizeof(ULONG), Value);
}

VOID READ_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count) {
  KEMU_ENTER(READ_PORT_BUFFER_UCHAR, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadPortBuffer("READ_PORT_BUFFER_UCHAR", Port, sizeof(UCHAR), Buffer, Count);
}

VOID READ_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count) {
  KEMU_ENTER(READ_PORT_BUFFER_USHORT, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadPortBuffer("READ_PORT_BUFFER_USHORT", Port, sizeof(USHORT), Buffer, Count);
}

VOID READ_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count) {
  KEMU_ENTER(READ_PORT_BUFFER_ULONG, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .ReadPortBuffer("READ_PORT_BUFFER_ULONG", Port, sizeof(ULONG), Buffer, Count);
}

VOID WRITE_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_PORT_BUFFER_UCHAR, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WritePortBuffer("WRITE_PORT_BUFFER_UCHAR", Port, sizeof(UCHAR), Buffer, Count);
}

VOID WRITE_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_PORT_BUFFER_USHORT, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WritePortBuffer("WRITE_PORT_BUFFER_USHORT", Port, sizeof(USHORT), Buffer, Count);
}

VOID WRITE_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count) {
  KEMU_ENTER(WRITE_PORT_BUFFER_ULONG, KEMU_ARG(Port), KEMU_ARG(Buffer), KEMU_ARG(Count))
      .io_space()
      .WritePortBuffer("WRITE_PORT_BUFFER_ULONG", Port, sizeof(ULONG), Buffer, Count);
}

}  // extern "C"
