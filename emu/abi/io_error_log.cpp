// Error log entries: IoAllocateErrorLogEntry, IoWriteErrorLogEntry, IoFreeErrorLogEntry. The model
// (model/error_log.hpp) owns the entries and keeps what was written for Machine::error_log().
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PVOID IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize) {
  return KEMU_ENTER(IoAllocateErrorLogEntry, KEMU_ARG(IoObject), KEMU_ARG(EntrySize))
      .error_log()
      .Allocate("IoAllocateErrorLogEntry", IoObject, EntrySize);
}

VOID IoWriteErrorLogEntry(PVOID ElEntry) {
  KEMU_ENTER(IoWriteErrorLogEntry, KEMU_ARG(ElEntry))
      .error_log()
      .Write("IoWriteErrorLogEntry", ElEntry);
}

VOID IoFreeErrorLogEntry(PVOID ElEntry) {
  KEMU_ENTER(IoFreeErrorLogEntry, KEMU_ARG(ElEntry))
      .error_log()
      .Free("IoFreeErrorLogEntry", ElEntry);
}

}  // extern "C"
