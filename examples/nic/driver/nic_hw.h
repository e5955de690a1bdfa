// nic_hw.h — the register map of the example NIC, a small PCI function with one memory BAR.
//
// Both sides use it: the driver (nic_driver.c) through READ_/WRITE_REGISTER_ULONG on the BAR it
// mapped with MmMapIoSpace, and the device model the tests drive (nic_device.hpp). All registers
// are 32 bits wide and little-endian.
//
//   0x000  CTRL     control: interrupt enable, receiver enable, reset (self-clearing)
//   0x004  STATUS   read-only state: link up
//   0x008  ISR      interrupt cause, write 1 to clear; the device interrupts while ISR & IMR != 0
//                   (and CTRL.INT_ENABLE is set)
//   0x00C  IMR      interrupt mask: 1 = cause enabled
//   0x010  RX_HEAD  receive ring consumer index, written by the driver
//   0x014  RX_TAIL  receive ring producer index, written by the device
//   0x018  RX_MISSED frames dropped because the ring was full; read to clear
//   0x100  RX_RING  NIC_RX_RING_SIZE descriptors of 8 bytes: LENGTH, then FLAGS (DONE)
//
// The ring is in device memory, so the driver reads descriptors with READ_REGISTER_ULONG as well.
// One slot always stays empty, so RX_HEAD == RX_TAIL means "empty", never "full".
#ifndef KEMU_EXAMPLES_NIC_DRIVER_NIC_HW_H_
#define KEMU_EXAMPLES_NIC_DRIVER_NIC_HW_H_

#define NIC_REG_CTRL 0x000u
#define NIC_REG_STATUS 0x004u
#define NIC_REG_ISR 0x008u
#define NIC_REG_IMR 0x00Cu
#define NIC_REG_RX_HEAD 0x010u
#define NIC_REG_RX_TAIL 0x014u
#define NIC_REG_RX_MISSED 0x018u
#define NIC_RX_RING 0x100u

/// Size of the memory BAR the device decodes.
#define NIC_BAR_BYTES 0x200u

// CTRL bits.
#define NIC_CTRL_INT_ENABLE 0x00000001u  ///< master interrupt enable
#define NIC_CTRL_RX_ENABLE 0x00000002u   ///< receiver on: frames land in the ring
#define NIC_CTRL_RESET 0x80000000u       ///< write 1: reset; reads 1 until the reset is done

// STATUS bits.
#define NIC_STATUS_LINK_UP 0x00000001u

// ISR / IMR cause bits.
#define NIC_INT_RX_DONE 0x00000001u  ///< one or more frames completed into the ring
#define NIC_INT_TX_DONE 0x00000002u  ///< a transmit completed
#define NIC_INT_LINK 0x00000004u     ///< STATUS.LINK_UP changed
#define NIC_INT_ALL (NIC_INT_RX_DONE | NIC_INT_TX_DONE | NIC_INT_LINK)

// Receive ring.
#define NIC_RX_RING_SIZE 16u
#define NIC_RX_DESC_BYTES 8u
#define NIC_RX_DESC_LENGTH 0u  ///< offset in a descriptor: frame length in bytes
#define NIC_RX_DESC_FLAGS 4u   ///< offset in a descriptor: NIC_RX_DESC_DONE
#define NIC_RX_DESC_DONE 0x00000001u
/// Offset of descriptor `Index` from the start of the BAR.
#define NIC_RX_DESC(Index) (NIC_RX_RING + (Index)*NIC_RX_DESC_BYTES)

#endif  // KEMU_EXAMPLES_NIC_DRIVER_NIC_HW_H_
