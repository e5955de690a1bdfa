// race_message_driver.h — an MSI driver whose message ISRs each count their own message, and,
// with CrossWrite set (the bug), message 1's ISR also counts message 0's. Without a caller
// SpinLock each message's ISR runs under its own kernel lock, so the cross write races with
// message 0's ISR on another vCPU. Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_MESSAGE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_MESSAGE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_MESSAGES {
  PIO_INTERRUPT_MESSAGE_INFO Table;
  BOOLEAN CrossWrite;
  ULONG Count[2];
} RACE_MESSAGES, *PRACE_MESSAGES;

NTSTATUS RaceMessagesConnect(PRACE_MESSAGES Messages, PDEVICE_OBJECT Pdo, PKSPIN_LOCK SpinLock);
VOID RaceMessagesDisconnect(PRACE_MESSAGES Messages);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_MESSAGE_DRIVER_H_
