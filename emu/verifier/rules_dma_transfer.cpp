// Rules for packet-based DMA and scatter/gather lists (docs/kernel.md, "DMA adapters";
// docs/verifier-rules.md). Microsoft's DMA verification codes (0xE6 DRIVER_VERIFIER_DMA_VIOLATION,
// parameter 1 from kemu::dma_violation, the parameters as the bug check's page lists them). A
// release or free of what the adapter does not hold, and releasing the adapter with a transfer's
// resources held, are reported in every kernel mode, as for common buffers (rules_dma.cpp):
// without Driver Verifier Windows would corrupt its adapter's state, which kemu never does
// (UNCONFIRMED what a retail kernel shows). Too many map registers or adapter channels at once
// are DMA verification's alone (the caller checks the mode): without it, Windows answers with a
// status or a queue.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::DmaAdapterChannelFreedTwice(const char* routine, const void* adapter) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kAdapterChannelFreedTwice, 1, 0, 0},
               .parameter_names = {"0x04: too many adapter channels freed",
                                   "extra adapter channels freed", nullptr, nullptr},
               .summary = fmt::format("{} was called for the DMA adapter at {}, whose adapter "
                                      "channel is not allocated: freed already, given back by "
                                      "the AdapterControl routine's DeallocateObject or "
                                      "DeallocateObjectKeepRegisters, or never allocated.",
                                      routine, adapter)});
}

void Verifier::DmaMapRegistersFreedTwice(const char* routine, const void* map_register_base,
                                         ULONG count) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kMapRegistersFreedTwice, count, 0, 0},
       .parameter_names = {"0x05: too many map registers freed", "extra map registers freed",
                           nullptr, nullptr},
       .summary = fmt::format("{} was given MapRegisterBase {}, which is no map registers the "
                              "adapter holds: freed already (FreeMapRegisters, "
                              "FreeAdapterChannel or DeallocateObject), or never allocated.",
                              routine, map_register_base)});
}

void Verifier::DmaScatterGatherListFreedTwice(const char* routine, const void* list,
                                              std::uint64_t allocated, std::uint64_t freed) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kScatterGatherListFreedTwice, allocated, freed, 0},
       .parameter_names = {"0x06: too many scatter/gather lists freed",
                           "scatter/gather lists allocated", "scatter/gather lists freed", nullptr},
       .summary = fmt::format("{} was given the scatter/gather list at {}, which the "
                              "adapter does not hold: put already, or never built by its "
                              "GetScatterGatherList or BuildScatterGatherList.",
                              routine, list)});
}

void Verifier::DmaAdapterReleasedWithTransfers(const char* routine, const void* adapter,
                                               std::uint64_t code, std::uint64_t count) {
  const char* name = code == dma_violation::kAdapterReleasedWithAdapterChannels
                         ? "0x08: adapter released with adapter channels"
                     : code == dma_violation::kAdapterReleasedWithMapRegisters
                         ? "0x09: adapter released with map registers"
                         : "0x0A: adapter released with scatter/gather lists";
  const char* what = code == dma_violation::kAdapterReleasedWithAdapterChannels
                         ? "outstanding adapter channels"
                     : code == dma_violation::kAdapterReleasedWithMapRegisters
                         ? "outstanding map registers"
                         : "outstanding scatter/gather lists";
  const char* advice = code == dma_violation::kAdapterReleasedWithAdapterChannels
                           ? "its adapter channel still allocated: free it with "
                             "FreeAdapterChannel first"
                       : code == dma_violation::kAdapterReleasedWithMapRegisters
                           ? "map register(s) still allocated: free them with FreeMapRegisters "
                             "first"
                           : "scatter/gather list(s) never put: give each back with "
                             "PutScatterGatherList first";
  host_.BugCheck({.code = bugcheck::kDriverVerifierDmaViolation,
                  .parameters = {code, Address(adapter), count, 0},
                  .parameter_names = {name, "DMA adapter", what, "verifier data (none in kemu)"},
                  .summary = code == dma_violation::kAdapterReleasedWithAdapterChannels
                                 ? fmt::format("{} released the DMA adapter at {} with {}.",
                                               routine, adapter, advice)
                                 : fmt::format("{} released the DMA adapter at {} with {} {}.",
                                               routine, adapter, count, advice)});
}

void Verifier::DmaTooManyAdapterChannels(const char* routine, const void* adapter) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kTooManyAdapterChannels, 1, 0, 0},
               .parameter_names = {"0x0B: too many adapter channels at once",
                                   "outstanding adapter channels", nullptr, nullptr},
               .summary = fmt::format("{} was called for the DMA adapter at {} while its adapter "
                                      "channel is allocated: an adapter has one. Free it "
                                      "(FreeAdapterChannel, or return DeallocateObject or "
                                      "DeallocateObjectKeepRegisters) before the next transfer.",
                                      routine, adapter)});
}

void Verifier::DmaTooManyMapRegisters(const char* routine, ULONG required, ULONG maximum) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kTooManyMapRegisters, required, maximum, 0},
       .parameter_names = {"0x0C: too many map registers at once", "map registers required",
                           "most map registers allowed", nullptr},
       .summary = fmt::format("{} asked for {} map registers; IoGetDmaAdapter gave the adapter "
                              "{}, the most one transfer may use. Split the transfer.",
                              routine, required, maximum)});
}

void Verifier::DmaFlushPastMdlEnd(const char* routine, std::uint64_t left, std::uint64_t asked) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kMiscellaneous, dma_violation::kFlushPastMdlEnd, left, asked},
       .parameter_names = {"0x00: miscellaneous DMA error", "0x1: flush past the end of the MDL",
                           "bytes left in the MDL", "bytes asked to flush"},
       .summary = fmt::format("{} was asked to flush {:#x} bytes from CurrentVa, but the "
                              "MDL's buffer has {:#x} from there: flush what MapTransfer "
                              "mapped.",
                              routine, asked, left)});
}

}  // namespace kemu::verifier
