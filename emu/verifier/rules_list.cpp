// Sequenced-list (SLIST) rules. On x64 the header is updated with a 16-byte compare-exchange, which
// faults on a header that is not 16-byte aligned, and it keeps an entry's address shifted right
// by four, so an entry must be 16-byte aligned too.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::MisalignedSListHeader(const char* routine, const void* head) {
  // The processor refuses the unaligned compare-exchange (#GP), which reaches the kernel as an
  // access violation no driver handler catches: the same in every mode.
  host_.Crash(AccessViolation(
      fmt::format("{} was given the SLIST_HEADER at {}, which is not 16-byte aligned; x64 updates "
                  "it with a 16-byte compare-exchange that faults. Declare it SLIST_HEADER (it "
                  "carries DECLSPEC_ALIGN(16)) or allocate it from pool.",
                  routine, head),
      Address(head)));
}

void Verifier::MisalignedSListEntry(const char* routine, const void* head, const void* entry) {
  // Windows does not check: it drops the entry's low four bits, and the pop that returns the
  // wrong address corrupts memory later. kemu stops at the push instead, in every mode.
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kMisalignedSListEntry, Address(entry), Address(head), 0},
       .parameter_names = {"kemu: SLIST_ENTRY not 16-byte aligned", "entry", "SLIST_HEADER",
                           nullptr},
       .summary = fmt::format(
           "{} was given the SLIST_ENTRY at {}, which is not 16-byte aligned. The x64 header "
           "keeps an entry's address shifted right by four, so Windows would drop the low bits "
           "and a later pop would return {:#x}. Keep SLIST_ENTRY members 16-byte aligned (pool "
           "blocks and the SLIST_ENTRY type are).",
           routine, entry, Address(entry) & ~std::uint64_t{0xF})});
}

}  // namespace kemu::verifier
