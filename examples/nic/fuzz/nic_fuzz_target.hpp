// nic_fuzz_target.hpp — the example NIC driver as a fuzz target (include/kemu/fuzz.hpp): its
// scenario adapter (nic_adapter.hpp), the argument ranges of its actions, and an invariant that
// the driver's idea of its connection matches kemu's.
#ifndef KEMU_EXAMPLES_NIC_FUZZ_NIC_FUZZ_TARGET_HPP_
#define KEMU_EXAMPLES_NIC_FUZZ_NIC_FUZZ_TARGET_HPP_

#include <string>

#include "kemu/fuzz.hpp"

namespace kemu_example {

/// The fuzz target for one build of the driver, by its adapter name: "nic",
/// "nic_bug_spinlock_at_dirql" or "nic_bug_no_ack" (AddNicAdapters). Throws kemu::Error for any
/// other name.
kemu::fuzz::FuzzTarget NicFuzzTarget(const std::string& adapter = "nic");

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_NIC_FUZZ_NIC_FUZZ_TARGET_HPP_
