// Rules for DMA adapters (IoGetDmaAdapter and the adapter's operations; docs/kernel.md, "DMA
// adapters"). Microsoft's DMA verification codes (0xE6 DRIVER_VERIFIER_DMA_VIOLATION, parameter 1
// from kemu::dma_violation) where one fits, in every kernel mode: without Driver Verifier Windows
// would read a released adapter or free a buffer twice and corrupt memory, which kemu never does
// (UNCONFIRMED what a retail kernel shows). A free whose arguments differ from the allocation's is
// kemu's sub-code, as for contiguous memory.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::DmaNullAdapter(const char* routine) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kNullAdapter, 0, 0, 0},
               .parameter_names = {"0x19: NULL DMA adapter", nullptr, nullptr, nullptr},
               .summary = fmt::format("{} was given a NULL DMA adapter.", routine)});
}

void Verifier::DmaReleasedAdapter(const char* routine, const void* adapter, bool released) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kReleasedAdapter, Address(adapter), 0, 0},
       .parameter_names = {"0x18: adapter already released", "DMA adapter",
                           "verifier data (none in kemu)", nullptr},
       .summary = released
                      ? fmt::format("{} was called through the DMA adapter at {}, which "
                                    "PutDmaAdapter already released: get a new adapter with "
                                    "IoGetDmaAdapter, or keep this one until the last call.",
                                    routine, adapter)
                      : fmt::format("{} was given {}, which is not a DMA adapter IoGetDmaAdapter "
                                    "returned.",
                                    routine, adapter)});
}

void Verifier::DmaImproperIrql(const char* routine, KIRQL maximum, KIRQL current) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kImproperIrql, 0x2, maximum, current},
       .parameter_names = {"0x13: DMA routine at an improper IRQL", "0x2: IRQL higher than allowed",
                           "highest IRQL allowed", "current IRQL"},
       .summary = fmt::format("{} was called at IRQL {}; it may only be called at "
                              "IRQL <= {}.",
                              routine, current, maximum)});
}

void Verifier::DmaUnknownDescriptionVersion(const char* routine, ULONG version) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kUnknownDescriptionVersion, version, 0, 0},
               .parameter_names = {"0x25: unknown device description version",
                                   "kemu: the Version given", nullptr, nullptr},
               .summary = fmt::format("{} was given a DEVICE_DESCRIPTION with Version {}; the "
                                      "versions are DEVICE_DESCRIPTION_VERSION (0) to "
                                      "DEVICE_DESCRIPTION_VERSION3 (3).",
                                      routine, version)});
}

void Verifier::DmaCommonBufferFreedTwice(const char* routine, const void* virtual_address,
                                         const void* owner) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kCommonBufferFreedTwice, 1, 0, 0},
       .parameter_names = {"0x03: too many common buffers freed", "extra common buffers freed",
                           nullptr, nullptr},
       .summary = owner != nullptr
                      ? fmt::format("{} was given {}, a common buffer of another DMA adapter (the "
                                    "one at {}): free it through the adapter that allocated it.",
                                    routine, virtual_address, owner)
                      : fmt::format("{} was given {}, which is not a common buffer of this "
                                    "adapter still allocated: freed already, or never "
                                    "returned by its AllocateCommonBuffer.",
                                    routine, virtual_address)});
}

void Verifier::DmaAdapterReleasedWithCommonBuffers(const char* routine, const void* adapter,
                                                   std::size_t buffers) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kAdapterReleasedWithCommonBuffers, Address(adapter), buffers,
                      0},
       .parameter_names = {"0x07: adapter released with common buffers", "DMA adapter",
                           "outstanding common buffers", "verifier data (none in kemu)"},
       .summary = fmt::format("{} released the DMA adapter at {} with {} common buffer(s) still "
                              "allocated: free each with FreeCommonBuffer first.",
                              routine, adapter, buffers)});
}

void Verifier::DmaCommonBufferCorrupted(const char* routine, const void* buffer,
                                        const void* corrupted, SIZE_T bytes, bool before) {
  // Under Verifier a common buffer is guarded as a special-pool block is, but DMA verification
  // owns it: Windows pads the buffers an adapter hands out and reports a changed pad as 0xE6 /
  // 0x0F, not special pool's 0xC1, which covers the pool routines (audit round 17, W4).
  const auto* start = static_cast<const char*>(buffer);
  const auto* at = static_cast<const char*>(corrupted);
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kWroteOutsideBuffer,
                      before ? dma_buffer_corruption::kPaddingBefore
                             : dma_buffer_corruption::kPaddingAfter,
                      Address(buffer), Address(corrupted)},
       .parameter_names = {"0x0F: wrote outside the DMA buffer",
                           before ? "0x04: padding before the buffer changed"
                                  : "0x05: padding after the buffer changed",
                           "buffer start", "corruption address"},
       .summary = before ? fmt::format("{} freed the {}-byte common buffer at {}, but the driver "
                                       "or its device wrote before its start: the byte at {} ({} "
                                       "bytes before the buffer) changed.",
                                       routine, bytes, buffer, corrupted, start - at)
                         : fmt::format("{} freed the {}-byte common buffer at {}, but the driver "
                                       "or its device wrote past its end: the byte at {} (offset "
                                       "{} of the buffer) changed. Keep every descriptor and "
                                       "transfer within the length you allocated.",
                                       routine, bytes, buffer, corrupted, at - start)});
}

void Verifier::CommonBufferFreeMismatch(const char* routine, const void* virtual_address,
                                        std::uint64_t rule, std::uint64_t expected) {
  const char* what = rule == common_buffer_free_rule::kLength           ? "Length"
                     : rule == common_buffer_free_rule::kLogicalAddress ? "LogicalAddress"
                                                                        : "CacheEnabled";
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kCommonBufferFree, Address(virtual_address), rule, expected},
       .parameter_names = {"kemu: FreeCommonBuffer unlike the allocation", "virtual address",
                           "rule (kemu::common_buffer_free_rule)", "the allocation's value"},
       .summary = fmt::format("{} was given the common buffer at {} with a {} other than the "
                              "{:#x} AllocateCommonBuffer gave or was given: pass the values of "
                              "the allocation.",
                              routine, virtual_address, what, expected)});
}

}  // namespace kemu::verifier
