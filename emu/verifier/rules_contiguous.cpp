// Rules for contiguous memory (MmAllocateContiguousMemory(SpecifyCache), MmFreeContiguousMemory
// (SpecifyCache); docs/kernel.md, "Contiguous memory and physical addresses"). Microsoft documents
// what the free must be given, not what a wrong argument does (UNCONFIRMED), so these are kemu's
// sub-code, in every mode.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

std::string Explain(const char* routine, const void* block, std::uint64_t rule,
                    std::uint64_t expected) {
  switch (rule) {
    case contiguous_free_rule::kPoolBlock:
      return fmt::format("{} was given {}, a pool block: free it with ExFreePool(WithTag).",
                         routine, block);
    case contiguous_free_rule::kBytes:
      return fmt::format(
          "{} was given the contiguous memory at {} with a NumberOfBytes other than "
          "the {} it was allocated with.",
          routine, block, expected);
    case contiguous_free_rule::kCacheType:
      return fmt::format(
          "{} was given the contiguous memory at {} with a CacheType other than "
          "the {} it was allocated with.",
          routine, block, expected);
    case contiguous_free_rule::kNotSpecifyCache:
      return fmt::format(
          "{} was given the contiguous memory at {}, which MmAllocateContiguousMemory returned: "
          "it frees only what MmAllocateContiguousMemorySpecifyCache returned. Free it with "
          "MmFreeContiguousMemory.",
          routine, block);
    case contiguous_free_rule::kCommonBuffer:
      return fmt::format(
          "{} was given {}, a DMA adapter's common buffer (AllocateCommonBuffer): the adapter "
          "keeps a record of it, so free it with the same adapter's FreeCommonBuffer.",
          routine, block);
    default:
      return fmt::format(
          "{} was given {}, which no MmAllocateContiguousMemory call returned (a "
          "pointer into a block, a stack or static address).",
          routine, block);
  }
}

}  // namespace

void Verifier::ContiguousFreeMismatch(const char* routine, const void* block, std::uint64_t rule,
                                      std::uint64_t expected) {
  host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                  .parameters = {verifier_code::kContiguousFree, Address(block), rule, expected},
                  .parameter_names = {"kemu: bad free of contiguous memory", "address being freed",
                                      "rule (kemu::contiguous_free_rule)",
                                      "the allocation's size or cache type (rules 2, 3)"},
                  .summary = Explain(routine, block, rule, expected)});
}

}  // namespace kemu::verifier
