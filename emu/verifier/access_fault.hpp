// The fault the kernel takes touching memory that is not there, for the rules that end in it:
// IRQL_NOT_LESS_OR_EQUAL (0xA) at DISPATCH_LEVEL and above, where a page fault cannot be taken,
// else the access violation (0x1E, STATUS_ACCESS_VIOLATION).
//
//   CrashAccessingAt(host_, address, "KeSetEvent read the header of ...");
#ifndef KEMU_EMU_VERIFIER_ACCESS_FAULT_HPP_
#define KEMU_EMU_VERIFIER_ACCESS_FAULT_HPP_

#include <cstdint>
#include <string>

#include "verifier/host.hpp"

namespace kemu::verifier {

/// Raises the fault of an access to `address` at the current IRQL. Never returns.
[[noreturn]] void CrashAccessingAt(Host& host, std::uint64_t address, std::string summary);

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_ACCESS_FAULT_HPP_
