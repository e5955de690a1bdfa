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
       .summary = fmt::format(
           "{} was given the scatter/gather list at {}, which the adapter does not hold: put "
           "already, or never built by its GetScatterGatherList or BuildScatterGatherList. The "
           "freed count includes this put; kemu knows each list, so it stops here even while "
           "other lists are held and the count is below the lists allocated (audit round 20).",
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

void Verifier::DmaZeroLengthTransfer(const char* routine) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kZeroLengthTransfer, 0, 0, 0},
               .parameter_names = {"0x21: zero-length transfer", "verifier data (none in kemu)",
                                   nullptr, nullptr},
               .summary = fmt::format("{} was given Length 0: a transfer maps at least one byte.",
                                      routine)});
}

void Verifier::DmaBufferOutsideMdl(const char* routine, const void* current_va, const void* mdl,
                                   bool after) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kInvalidDmaBuffer,
                      after ? dma_violation::kBufferAfterMdl : dma_violation::kBufferBeforeMdl,
                      Address(current_va), Address(mdl)},
       .parameter_names = {"0x1F: invalid DMA buffer",
                           after ? "0x02: address after the MDL" : "0x01: address before the MDL",
                           "CurrentVa", "MDL"},
       .summary = fmt::format("{} was given CurrentVa {}, {} the buffer the MDL at {} describes: "
                              "pass an address inside it (MmGetMdlVirtualAddress and what the "
                              "transfer has moved so far).",
                              routine, current_va, after ? "past the end of" : "before", mdl)});
}

void Verifier::DmaRangePastMdl(const char* routine, const void* past, const void* mdl,
                               std::uint64_t length) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kAddressOutsideMdl, Address(past), Address(mdl), 0},
               .parameter_names = {"0x1B: address outside the MDL", "address outside the MDL",
                                   "MDL", nullptr},
               .summary = fmt::format("{} was asked for {:#x} bytes, which run past the end of "
                                      "the buffer the MDL at {} describes (at {}): ask for no "
                                      "more than the MDL has left from CurrentVa.",
                                      routine, length, mdl, past)});
}

void Verifier::DmaRangeMappedTwice(const char* routine, const void* start, const void* end,
                                   const void* mapped) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDmaViolation,
       .parameters = {dma_violation::kRangeMappedTwice, Address(start), Address(end),
                      Address(mapped)},
       .parameter_names = {"0x1D: range mapped twice", "start of the range", "end of the range",
                           "address already mapped"},
       .summary = fmt::format("{} was asked to map [{}, {}), but {} is mapped already through "
                              "the same map registers and not flushed since: call "
                              "FlushAdapterBuffers when a transfer ends, before mapping again.",
                              routine, start, end, mapped)});
}

void Verifier::DmaBuffersNotFlushed(const char* routine, std::uint64_t bytes, std::uint64_t most) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kAdapterBuffersNotFlushed, bytes, most, 0},
               .parameter_names = {"0x0D: adapter buffers not flushed", "bytes mapped",
                                   "most bytes mapped at a time", nullptr},
               .summary = fmt::format("{} would map {:#x} bytes through map registers that hold "
                                      "{:#x} at a time: the earlier mappings were never flushed. "
                                      "Call FlushAdapterBuffers when the device has finished "
                                      "with them, then map the rest.",
                                      routine, bytes, most)});
}

void Verifier::DmaFreedWhileMapped(const char* routine, const void* map_register_base,
                                   std::uint64_t registers) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kFreedWhileMapped, registers, 0, 0},
               .parameter_names = {"0x10: map registers freed while mapped",
                                   "map registers still mapped", nullptr, nullptr},
               .summary = fmt::format("{} gave back the map registers at MapRegisterBase {} with "
                                      "{} of them still mapped: call FlushAdapterBuffers for "
                                      "what MapTransfer mapped before freeing them.",
                                      routine, map_register_base, registers)});
}

void Verifier::DmaFlushUnmappedRegisters(const char* routine, const void* map_register_base,
                                         const void* current_va, const void* mdl) {
  host_.Crash({.code = bugcheck::kDriverVerifierDmaViolation,
               .parameters = {dma_violation::kFlushUnmappedRegisters, Address(map_register_base),
                              Address(current_va), Address(mdl)},
               .parameter_names = {"0x20: flush of map registers not mapped", "MapRegisterBase",
                                   "CurrentVa", "MDL"},
               .summary = fmt::format("{} was given MapRegisterBase {}, which is no map registers "
                                      "the adapter holds: never allocated, or freed already "
                                      "(FreeMapRegisters, FreeAdapterChannel or DeallocateObject). "
                                      "Flush before freeing them.",
                                      routine, map_register_base)});
}

}  // namespace kemu::verifier
