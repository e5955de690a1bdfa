// PROCESSOR_NUMBER in a kemu machine: one group, group 0, holding every vCPU, so a vCPU's number
// in its group is its system-wide index (docs/kernel.md, "Processors and processor groups").
#ifndef KEMU_EMU_ABI_PROCESSOR_NUMBER_HPP_
#define KEMU_EMU_ABI_PROCESSOR_NUMBER_HPP_

#include <wdm.h>

namespace kemu::abi {

/// The vCPU `number` names on a machine of `processors` vCPUs, or -1 when it names none (another
/// group, or past the last vCPU).
inline int ProcessorIndex(const PROCESSOR_NUMBER& number, unsigned processors) {
  if (number.Group != 0 || number.Number >= processors) return -1;
  return number.Number;
}

/// Writes vCPU `index` as a processor number.
inline void WriteProcessorNumber(PPROCESSOR_NUMBER number, unsigned index) {
  number->Group = 0;
  number->Number = static_cast<UCHAR>(index);
  number->Reserved = 0;
}

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_PROCESSOR_NUMBER_HPP_
