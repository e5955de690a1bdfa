// Freed-pool rules that need no Verifier mode, only the host to raise them (the others are
// Verifier members, verifier.hpp). Defined in rules_freed_pool.cpp.
#ifndef KEMU_EMU_VERIFIER_RULES_FREED_POOL_HPP_
#define KEMU_EMU_VERIFIER_RULES_FREED_POOL_HPP_

#include <string>

#include "verifier/host.hpp"

namespace kemu::verifier {

/// `routine` found no kernel object of the kind it needs (`expected`) at `object` because the
/// memory there is pool the driver freed, `block` saying which block and which free (maybe while
/// `routine` ran, from a DPC or another vCPU). In special pool's quarantine (`quarantined`) the
/// bytes are poison and Windows' special pool faults on the access: 0xD5, a read. Otherwise the
/// block went back to the host: kemu's 0xC4 / 0x4B450011 as for any invalid object, naming the
/// free, since Windows reads whatever the memory holds now.
[[noreturn]] void KernelObjectInFreedPool(Host& host, const char* routine, const char* expected,
                                          const void* object, const std::string& block,
                                          bool quarantined);

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_RULES_FREED_POOL_HPP_
