// race_message_driver.c — see race_message_driver.h.
#include "race_message_driver.h"

static BOOLEAN CountMessage(PKINTERRUPT Interrupt, PVOID Context, ULONG MessageId) {
  PRACE_MESSAGES messages = (PRACE_MESSAGES)Context;
  UNREFERENCED_PARAMETER(Interrupt);
  ++messages->Count[MessageId & 1];
  if (messages->CrossWrite && MessageId == 1) ++messages->Count[0];  // message 0's state
  return TRUE;
}

NTSTATUS RaceMessagesConnect(PRACE_MESSAGES Messages, PDEVICE_OBJECT Pdo, PKSPIN_LOCK SpinLock) {
  IO_CONNECT_INTERRUPT_PARAMETERS params;
  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_MESSAGE_BASED;
  params.MessageBased.PhysicalDeviceObject = Pdo;
  params.MessageBased.ConnectionContext.InterruptMessageTable = &Messages->Table;
  params.MessageBased.MessageServiceRoutine = CountMessage;
  params.MessageBased.ServiceContext = Messages;
  params.MessageBased.SpinLock = SpinLock;
  return IoConnectInterruptEx(&params);
}

VOID RaceMessagesDisconnect(PRACE_MESSAGES Messages) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS params;
  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_MESSAGE_BASED;
  params.ConnectionContext.InterruptMessageTable = Messages->Table;
  IoDisconnectInterruptEx(&params);
}
