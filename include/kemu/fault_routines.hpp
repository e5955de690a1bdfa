// kemu/fault_routines.hpp — the kernel routines Machine::InjectFault can make fail, and how.
//
//   for (const std::string& routine : kemu::FaultRoutines()) std::cout << routine << '\n';
//   kemu::FaultReturnsStatus("IoConnectInterruptEx");   // true: Fault::status must be a failure
//   kemu::FaultReturnsStatus("ExAllocatePoolWithTag");  // false: it fails by returning NULL
//   kemu::FaultTakesTag("ExAllocatePoolWithTag");       // true: Fault::tag narrows it to a tag
#ifndef KEMU_FAULT_ROUTINES_HPP_
#define KEMU_FAULT_ROUTINES_HPP_

#include <string>
#include <string_view>
#include <vector>

namespace kemu {

/// The routines a kemu::Fault may name: exports in the export manifest's order, then the
/// operations a driver reaches through a table (a DMA adapter's AllocateCommonBuffer).
/// Machine::InjectFault throws kemu::Error for any other; scenario files are checked against them
/// before anything runs.
const std::vector<std::string>& FaultRoutines();

/// Whether a fault on `routine` makes the call return Fault::status, which must then fail it: a
/// status NT_SUCCESS accepts (success or informational) is refused, since Windows never returns
/// one without doing the work. False for the routines that fail by returning NULL (the pool
/// allocators, MmMapIoSpace, IoAllocateWorkItem, ExAllocateTimer, IoGetDmaAdapter,
/// KeRegisterNmiCallback, AllocateCommonBuffer: their status is not used) and for a routine not in
/// FaultRoutines().
bool FaultReturnsStatus(std::string_view routine);

/// Whether a fault on `routine` may narrow itself to one pool tag (Fault::tag): the pool
/// allocators. Machine::InjectFault refuses a tag for any other routine; scenario files are
/// checked before anything runs.
bool FaultTakesTag(std::string_view routine);

}  // namespace kemu

#endif  // KEMU_FAULT_ROUTINES_HPP_
