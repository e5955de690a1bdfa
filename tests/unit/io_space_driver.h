/* The C driver core of io_space_driver.c, shared with io_space_test.cpp. */
#ifndef KEMU_TESTS_UNIT_IO_SPACE_DRIVER_H_
#define KEMU_TESTS_UNIT_IO_SPACE_DRIVER_H_

#include <wdm.h>

/* Register map of the device's memory BAR. */
#define IO_DRV_CONTROL 0x00
#define IO_DRV_ENABLE 0x04
#define IO_DRV_CAUSE 0x10 /* interrupt cause, write 1 to clear */
#define IO_DRV_CONTROL_RESET 0x1
#define IO_DRV_CAUSE_RX 0x1
/* Offset of the line status register in the port range. */
#define IO_DRV_PORT_LINE_STATUS 5

typedef struct _IO_DRV_DEVICE {
  PUCHAR Registers;
  ULONG RegistersLength;
  PUCHAR Ports;
  PKINTERRUPT Interrupt;
  BOOLEAN Acknowledge; /* the buggy variant forgets to acknowledge the cause */
  ULONG LastCause;
  ULONG IsrCalls;
} IO_DRV_DEVICE, *PIO_DRV_DEVICE;

KEMU_WDK_BEGIN_DECLS

/* Maps the BAR, notes the ports and connects the ISR from the translated resources. */
NTSTATUS IoDrvStart(PIO_DRV_DEVICE Device, PCM_RESOURCE_LIST Translated);
VOID IoDrvStop(PIO_DRV_DEVICE Device);
/* Writes the reset bit, polls until the device clears it, then enables RX interrupts. */
VOID IoDrvResetHardware(PIO_DRV_DEVICE Device);
UCHAR IoDrvReadLineStatus(PIO_DRV_DEVICE Device);
/* Reads the register just past the mapping (a driver bug). */
ULONG IoDrvReadUnmapped(PIO_DRV_DEVICE Device);

KEMU_WDK_END_DECLS

#endif /* KEMU_TESTS_UNIT_IO_SPACE_DRIVER_H_ */
