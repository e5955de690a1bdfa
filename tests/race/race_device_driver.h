// race_device_driver.h — a device's start path stores the configuration its DPC reads, then
// enables the device's interrupts with a register write (or, the bug, stores it after the
// enable); the ISR acknowledges the cause register and queues the DPC. Built with
// kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_DEVICE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_DEVICE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

// Register map of the device's memory BAR.
#define RACE_DEVICE_ENABLE 0x00
#define RACE_DEVICE_CAUSE 0x04  // interrupt cause, write 1 to clear

typedef struct _RACE_DEVICE {
  PUCHAR Registers;
  ULONG RegistersLength;
  PKINTERRUPT Interrupt;
  KDPC Dpc;
  LONG Configuration;  // stored by the start path, read by the DPC
  LONG Seen;
} RACE_DEVICE, *PRACE_DEVICE;

// Maps the BAR and connects the ISR from the translated resources, then stores Configuration
// and enables the interrupts (`ConfigureFirst`), or enables them first (the bug).
NTSTATUS RaceDeviceStart(PRACE_DEVICE Device, PCM_RESOURCE_LIST Translated, BOOLEAN ConfigureFirst);
VOID RaceDeviceStop(PRACE_DEVICE Device);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_DEVICE_DRIVER_H_
