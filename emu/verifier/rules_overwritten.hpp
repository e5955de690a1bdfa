// A KDPC or KTIMER overwritten while still queued or set (docs/verifier-rules.md). The rule is the
// same in every mode, so it needs only the host to raise it, not a Verifier.
#ifndef KEMU_EMU_VERIFIER_RULES_OVERWRITTEN_HPP_
#define KEMU_EMU_VERIFIER_RULES_OVERWRITTEN_HPP_

#include <wdm.h>

#include "verifier/host.hpp"

namespace kemu::verifier {

/// The KDPC kemu is about to run, or the KTIMER it is about to expire (`timer`), no longer holds
/// what KeInitializeDpc / KeSetTimer wrote: its memory was reused while it was queued or set,
/// most likely a stack frame its routine left. `dpc` and `routine` are what kemu recorded (for a
/// timer, its DPC and that DPC's routine). 0xC7 / 1 (a KDPC) or 0 (a KTIMER) in every mode:
/// calling through the overwritten routine would crash the test program.
[[noreturn]] void TimerOrDpcOverwritten(Host& host, const void* object, bool timer, PKDPC dpc,
                                        PKDEFERRED_ROUTINE routine);

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_RULES_OVERWRITTEN_HPP_
