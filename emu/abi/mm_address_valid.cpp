// MmIsAddressValid (<ntddk.h>): whether touching an address would fault. Windows looks at the page
// tables; kemu's driver memory is the host process's, so kemu asks the host whether the byte can
// be read (model/host_memory.hpp). docs/kernel.md, "Whether an address is valid";
// docs/windows-facts.md §22.
#include <ntddk.h>

#include <cstdint>

#include "abi/entry.hpp"
#include "model/host_memory.hpp"

// IRQL <= DISPATCH_LEVEL. Only reading is probed: a mapped page the host lets the process read but
// not write (a read-only constant) is TRUE, where Windows answers for a write too (UNCONFIRMED
// how it answers for a read-only page, docs/differences.md). NULL is FALSE: nothing is mapped at
// page 0. A block in the freed special pool kemu keeps under Verifier is FALSE too: the host can
// still read its poison, but Windows makes a freed special-pool page inaccessible, so touching it
// would fault (audit round 17, W5).
extern "C" BOOLEAN MmIsAddressValid(PVOID VirtualAddress) {
  kemu::model::Kernel& kernel = KEMU_ENTER(MmIsAddressValid, KEMU_ARG(VirtualAddress));
  kemu::abi::AtMost(kernel, "MmIsAddressValid", DISPATCH_LEVEL);
  const auto address = reinterpret_cast<std::uintptr_t>(VirtualAddress);
  if (kernel.pool().quarantine().Holding(address) != nullptr) return FALSE;
  return kemu::model::FirstUnreadable(VirtualAddress, 1).has_value() ? FALSE : TRUE;
}
