// Pool rules: what ExAllocatePool* and ExFreePool* check. Driver Verifier's pool checks raise
// 0xC4 with its documented sub-codes; a kernel without it raises 0xC2 BAD_POOL_CALLER for the
// same misuse.
#include <fmt/format.h>

#include <string_view>

#include "kemu/bugcheck.hpp"
#include "verifier/pool_tag.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

constexpr std::uint64_t kStatusInsufficientResources = 0xC000009A;
// 0xC1 Arg4: bytes after the end of the allocation were overwritten.
constexpr std::uint64_t kSpecialPoolOverrun = 0x24;
constexpr std::uint64_t kSpecialPoolNearbyBytesCorrupted = 0x23;

const char* PoolKind(bool paged) { return paged ? "paged" : "nonpaged"; }

}  // namespace

void Verifier::PoolAllocateAtBadIrql(const char* routine, KIRQL current, std::uint32_t type,
                                     std::uint64_t bytes, bool paged) {
  const std::string summary = fmt::format(
      "{} asked for {} bytes of {} pool at IRQL {}; {} pool may only be allocated at IRQL <= {}.",
      routine, bytes, PoolKind(paged), current, PoolKind(paged),
      paged ? "APC_LEVEL" : "DISPATCH_LEVEL");
  if (mode_ == CheckMode::kVerifier) {
    host_.BugCheck(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {paged ? verifier_code::kPagedPoolAboveApc
                              : verifier_code::kNonPagedPoolAboveDispatch,
                        current, type, bytes},
         .parameter_names = {paged ? "0x01: paged pool allocated above APC_LEVEL"
                                   : "0x02: nonpaged pool allocated above DISPATCH_LEVEL",
                             "current IRQL", "pool type", "size of allocation, in bytes"},
         .summary = summary});
    return;
  }
  // The executive checks the IRQL of every allocation itself (UNCONFIRMED for paged pool at
  // DISPATCH_LEVEL on a retail kernel, which might only fault later on a paged-out block).
  host_.BugCheck({.code = bugcheck::kBadPoolCaller,
                  .parameters = {bad_pool_caller::kAllocateAtBadIrql, current, type, bytes},
                  .parameter_names = {"0x08: pool allocated at an invalid IRQL", "current IRQL",
                                      "pool type", "size of allocation, in bytes"},
                  .summary = summary});
}

void Verifier::PoolMustSucceed(const char* routine, std::uint32_t type, SIZE_T bytes, ULONG tag) {
  // The pool itself refuses it, with or without Driver Verifier (Bug Check 0xC2, 0x9A: "This
  // pool type is no longer supported"). Windows 2000 kept a small must-succeed reserve
  // (exhausting it was 0x41 MUST_SUCCEED_POOL_EMPTY); kemu hands it out there as ordinary pool.
  if (host_.personality().os < Os::kWindowsXP) return;
  host_.BugCheck(
      {.code = bugcheck::kBadPoolCaller,
       .parameters = {bad_pool_caller::kMustSucceed, type, bytes, tag},
       .parameter_names = {"0x9A: an allocation marked MUST_SUCCEED", "pool type",
                           "number of bytes requested", "pool tag"},
       .summary = fmt::format("{} asked for {} bytes of must-succeed pool (type {}, tag {}), "
                              "which Windows no longer offers. Allocate NonPagedPoolNx (or "
                              "NonPagedPool) and handle a NULL result.",
                              routine, bytes, type, FormatPoolTag(tag))});
}

void Verifier::PoolZeroBytes(const char* routine, KIRQL current, std::uint32_t type, ULONG tag) {
  const std::string summary =
      fmt::format("{} asked for a zero-byte block (tag {}). Check the size before allocating.",
                  routine, FormatPoolTag(tag));
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                      .parameters = {verifier_code::kPoolZeroBytes, current, type, 0},
                      .parameter_names = {"0x00: zero-byte pool allocation", "current IRQL",
                                          "pool type", "number of bytes"},
                      .summary = summary});
      return;
    case CheckMode::kChecked:
      host_.BugCheck(
          {.code = bugcheck::kBadPoolCaller,
           .parameters = {bad_pool_caller::kZeroBytes, 0, type, tag},
           .parameter_names = {"0x00: zero-byte pool allocation", "0", "pool type", "pool tag"},
           .summary = summary});
      return;
    case CheckMode::kRetail:
      return;  // UNCONFIRMED: a retail kernel hands out its smallest block
  }
}

void Verifier::PoolAllocationRaised(const char* routine, std::uint64_t bytes, ULONG tag) {
  host_.Crash(
      {.code = bugcheck::kKmodeExceptionNotHandled,
       .parameters = {kStatusInsufficientResources, 0, 0, 0},
       .parameter_names = {"exception code: STATUS_INSUFFICIENT_RESOURCES",
                           "address of the exception (not available in kemu)", "0", "0"},
       .summary = fmt::format(
           "{} could not allocate {} bytes (tag {}) and raised STATUS_INSUFFICIENT_RESOURCES, as "
           "it does when asked to raise on failure. kemu cannot run a driver's __except handler, "
           "so the exception is unhandled; ask for NULL instead (POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, "
           "or no raise flag) and check it.",
           routine, bytes, FormatPoolTag(tag))});
}

void Verifier::PoolFreeAtBadIrql(const char* routine, KIRQL current, std::uint32_t type,
                                 const void* block, bool paged) {
  const std::string summary = fmt::format(
      "{} freed the {} pool block at {} at IRQL {}; {} pool may only be freed at IRQL <= {}.",
      routine, PoolKind(paged), block, current, PoolKind(paged),
      paged ? "APC_LEVEL" : "DISPATCH_LEVEL");
  if (mode_ == CheckMode::kVerifier) {
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {paged ? verifier_code::kFreePagedPoolAboveApc
                                         : verifier_code::kFreeNonPagedPoolAboveDispatch,
                                   current, type, Address(block)},
                    .parameter_names = {paged ? "0x11: paged pool freed above APC_LEVEL"
                                              : "0x12: nonpaged pool freed above DISPATCH_LEVEL",
                                        "current IRQL", "pool type", "address of the pool block"},
                    .summary = summary});
    return;
  }
  host_.BugCheck({.code = bugcheck::kBadPoolCaller,
                  .parameters = {bad_pool_caller::kFreeAtBadIrql, current, type, Address(block)},
                  .parameter_names = {"0x09: pool freed at an invalid IRQL", "current IRQL",
                                      "pool type", "address of the pool block"},
                  .summary = summary});
}

void Verifier::PoolOverrun(const char* routine, const void* block, const void* corrupted,
                           SIZE_T bytes, ULONG tag) {
  SpecialPoolOverrun(
      routine, block, corrupted,
      fmt::format("the {}-byte pool block at {} (tag {})", bytes, block, FormatPoolTag(tag)));
}

void Verifier::MdlTooSmallForBuffer(const char* routine, const void* mdl, SIZE_T bytes,
                                    const void* beyond, ULONG pages) {
  // Windows writes the PFNs anyway and corrupts whatever follows the MDL; special pool puts the
  // block at the end of a page, so the first entry past it faults in the system's own code: 0xCD,
  // "the system accessed memory beyond the end of some driver's pool allocation". kemu cannot
  // write past a host allocation, so it reports in every mode.
  host_.BugCheck(
      {.code = bugcheck::kPageFaultBeyondEndOfAllocation,
       .parameters = {Address(beyond), 1, 0, 0},
       .parameter_names = {"memory address referenced", "1: a write",
                           "address that referenced memory (not known)", nullptr},
       .summary = fmt::format(
           "{} needed {} PFN entries for the buffer the MDL at {} describes, but that MDL is a "
           "{}-byte pool block with room for {}: the entry at {} is past its end. The driver "
           "changed ByteCount, ByteOffset or StartVa after IoAllocateMdl sized the MDL; allocate "
           "a new MDL for the larger buffer instead.",
           routine, pages, mdl, bytes,
           // The entries between the PFN array's start and `beyond`: the MDL need not start
           // the block.
           static_cast<const PFN_NUMBER*>(beyond) -
               reinterpret_cast<const PFN_NUMBER*>(static_cast<const MDL*>(mdl) + 1),
           beyond)});
}

void Verifier::MdlBufferBeyondPoolBlock(const char* routine, const void* mdl, const void* buffer,
                                        std::uint64_t bytes, const void* block, SIZE_T block_bytes,
                                        const void* beyond) {
  // Microsoft documents no outcome. Special pool ends the block against a guard page, which is
  // the next page the routine would list for the device; kemu stops at the routine that lists it
  // (UNCONFIRMED what Windows does there). Without special pool the PFNs would name whatever
  // memory follows, and a transfer would read or overwrite it.
  if (mode_ != CheckMode::kVerifier) return;
  host_.BugCheck(
      {.code = bugcheck::kPageFaultBeyondEndOfAllocation,
       .parameters = {Address(beyond), 0, 0, 0},
       .parameter_names = {"memory address referenced", "0: a read",
                           "address that referenced memory (not known)", nullptr},
       .summary = fmt::format(
           "{} was given the MDL at {}, which describes {} bytes at {}, but that buffer starts "
           "in the {}-byte pool block at {}: the byte at {} is past its end, so the physical "
           "pages listed for a device would include memory the driver does not own. Give "
           "IoAllocateMdl the length the buffer has.",
           routine, mdl, bytes, buffer, block_bytes, block, beyond)});
}

void Verifier::OutputBeyondPoolBlock(const char* routine, const char* parameter, const void* buffer,
                                     std::uint64_t bytes, const void* block, SIZE_T block_bytes,
                                     const void* beyond) {
  // The kernel writes its result where the driver said it has room. Under special pool the block
  // ends against a guard page, so the first byte past it faults in the kernel's own copy: 0xCD.
  // Without special pool Windows would corrupt whatever follows the block; kemu's block is its
  // own host allocation, which it must not write past, so it reports the same fault in every
  // mode. A page fault in the kernel's copy cannot be continued, so nothing is written.
  host_.Crash(
      {.code = bugcheck::kPageFaultBeyondEndOfAllocation,
       .parameters = {Address(beyond), 1, 0, 0},
       .parameter_names = {"memory address referenced", "1: a write",
                           "address that referenced memory (not known)", nullptr},
       .summary = fmt::format(
           "{} was about to write {} bytes of {} at {}, but that buffer lies in the {}-byte pool "
           "block at {}: the byte at {} is past its end. Pass the size the buffer has, not a "
           "larger one.",
           routine, bytes, parameter, buffer, block_bytes, block, beyond)});
}

void Verifier::InputBeyondPoolBlock(const char* routine, const char* parameter, const void* buffer,
                                    std::uint64_t bytes, const void* block, SIZE_T block_bytes,
                                    const void* beyond) {
  host_.Crash(
      {.code = bugcheck::kPageFaultBeyondEndOfAllocation,
       .parameters = {Address(beyond), 0, 0, 0},
       .parameter_names = {"memory address referenced", "0: a read",
                           "address that referenced memory (not known)", nullptr},
       .summary = fmt::format(
           "{} was about to read {} bytes of {} at {}, but that array lies in the {}-byte pool "
           "block at {}: the byte at {} is past its end. Pass the count the array has.",
           routine, bytes, parameter, buffer, block_bytes, block, beyond)});
}

void Verifier::SpecialPoolOverrun(const char* routine, const void* block, const void* corrupted,
                                  const std::string& what) {
  host_.BugCheck(
      {.code = bugcheck::kSpecialPoolDetectedMemoryCorruption,
       .parameters = {Address(block), Address(corrupted), 0, kSpecialPoolOverrun},
       .parameter_names = {"address the driver tried to free", "address where bits are corrupted",
                           nullptr, "0x24: bytes after the end of the allocation overwritten"},
       .summary = fmt::format(
           "{} freed {}, but the driver wrote past its end: the byte at {} (offset {} of the "
           "block) changed. Keep every access within the size you allocated.",
           routine, what, corrupted,
           static_cast<const char*>(corrupted) - static_cast<const char*>(block))});
}

void Verifier::PoolUnderrun(const char* routine, const void* block, const void* corrupted,
                            SIZE_T bytes, ULONG tag) {
  host_.BugCheck(
      {.code = bugcheck::kSpecialPoolDetectedMemoryCorruption,
       .parameters = {Address(block), Address(corrupted), 0, kSpecialPoolNearbyBytesCorrupted},
       .parameter_names = {"address the driver tried to free", "address where bits are corrupted",
                           nullptr, "0x23: nearby bytes within the same page corrupted"},
       .summary = fmt::format(
           "{} freed the {}-byte pool block at {} (tag {}), but the driver wrote before its "
           "start: the byte at {} ({} bytes before the block) changed. Check the index or "
           "pointer arithmetic that reached below the allocation.",
           routine, bytes, block, FormatPoolTag(tag), corrupted,
           static_cast<const char*>(block) - static_cast<const char*>(corrupted))});
}

void Verifier::PoolDoubleFree(const char* routine, const void* block) {
  const std::string summary = fmt::format(
      "{} freed the pool block at {}, which was already freed. Clear the pointer when you free "
      "it, and free each block once.",
      routine, block);
  // kemu keeps no pool header, so the parameters that show one are 0.
  if (mode_ == CheckMode::kVerifier) {
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {verifier_code::kFreePoolAlreadyFreed, 0, Address(block), 0},
                    .parameter_names = {"0x13: pool freed twice", nullptr,
                                        "address of the pool block (kemu keeps no header)",
                                        "pool header contents (kemu: 0)"},
                    .summary = summary});
    return;
  }
  host_.BugCheck(
      {.code = bugcheck::kBadPoolCaller,
       .parameters = {bad_pool_caller::kAlreadyFreed, 0, 0, Address(block)},
       .parameter_names = {"0x07: pool freed twice", nullptr, "pool header contents (kemu: 0)",
                           "address of the pool block"},
       .summary = summary});
}

void Verifier::PoolFreeUnknown(const char* routine, const void* block) {
  FreeOfNonPool(block, fmt::format("{} was given {}, which no pool allocation returned (a pointer "
                                   "into a block, a stack or static address, or one freed long "
                                   "ago).",
                                   routine, block));
}

void Verifier::PoolFreeOfContiguous(const char* routine, const void* block, const char* allocator) {
  // Contiguous memory is not pool: the pool routines see an address no pool allocation
  // returned, as they would on Windows. MmFreeContiguousMemory frees what either Mm routine
  // returned; a common buffer goes back to the adapter that allocated it.
  const bool common_buffer = std::string_view(allocator) == "AllocateCommonBuffer";
  FreeOfNonPool(block, fmt::format("{} was given {}, which {} returned: contiguous memory is not "
                                   "pool. Free it with {}.",
                                   routine, block, allocator,
                                   common_buffer ? "the same DMA adapter's FreeCommonBuffer"
                                                 : "MmFreeContiguousMemory"));
}

void Verifier::FreeOfNonPool(const void* block, const std::string& summary) {
  if (mode_ == CheckMode::kVerifier) {
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {verifier_code::kFreeBadPoolAddress, Address(block), 0, 0},
                    .parameter_names = {"0x10: free of an address no allocation returned",
                                        "bad address", "0", "0"},
                    .summary = summary});
    return;
  }
  host_.BugCheck({.code = bugcheck::kBadPoolCaller,
                  .parameters = {bad_pool_caller::kNeverInAnyPool, Address(block), 0, 0},
                  .parameter_names = {"0x42: free of an address that was never in any pool",
                                      "address being freed", "0", "0"},
                  .summary = summary});
}

void Verifier::PoolTagUntrackable(const char* routine, std::uint32_t type, SIZE_T bytes,
                                  ULONG tag) {
  // Microsoft lists the three as BAD_POOL_CALLER rows without saying which kernels check them;
  // kemu checks them under Driver Verifier, whose pool tracking counts by tag (UNCONFIRMED for a
  // kernel without it). PROTECTED_POOL is a flag, not part of the tag.
  if (mode_ != CheckMode::kVerifier) return;
  const ULONG bare = tag & ~static_cast<ULONG>(PROTECTED_POOL);
  constexpr ULONG kBig = 0x20474942;  // "BIG " in memory
  bool letter_or_digit = false;
  for (int shift = 0; shift < 32; shift += 8) {
    const unsigned char c = static_cast<unsigned char>(bare >> shift);
    letter_or_digit |= (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  const bool untrackable = bare == 0 || bare == kBig;
  // Every allocation under Verifier passes here: the report is built only for a bad tag.
  if (!untrackable && letter_or_digit) return;
  const std::string what =
      fmt::format("{} asked for {} bytes with tag {}", routine, bytes, FormatPoolTag(tag));
  const char* const advice =
      "Give every allocation site a tag of its own, four letters or digits ('Nic0').";
  if (untrackable) {
    const bool zero = bare == 0;
    host_.BugCheck(
        {.code = bugcheck::kBadPoolCaller,
         .parameters = {zero ? bad_pool_caller::kZeroTag : bad_pool_caller::kBigTag, type, bytes,
                        0},
         .parameter_names = {zero ? "0x9B: pool allocated with a tag of 0"
                                  : "0x9C: pool allocated with the tag \"BIG\"",
                             "pool type", "number of bytes requested",
                             "caller's address (not available in kemu)"},
         .summary = fmt::format("{}: the pool's tag tables cannot track it. {}", what, advice)});
    return;
  }
  host_.BugCheck({.code = bugcheck::kBadPoolCaller,
                  .parameters = {bad_pool_caller::kTagWithoutLettersOrDigits, tag, type, 0},
                  .parameter_names = {"0x9D: pool tag without any letter or digit", "pool tag",
                                      "pool type", "caller's address (not available in kemu)"},
                  .summary = fmt::format("{}, which has no letter or digit to track it by. {}",
                                         what, advice)});
}

void Verifier::PoolFreeWrongTag(const char* routine, const void* block, ULONG allocated_tag,
                                ULONG freeing_tag, bool protected_block) {
  // Every kernel refuses the wrong tag for a PROTECTED_POOL block. For other blocks whether a
  // retail kernel compares tags at all is UNCONFIRMED; kemu has it ignore the tag, and checked
  // kernels and Driver Verifier compare it.
  if (mode_ == CheckMode::kRetail && !protected_block) return;
  host_.BugCheck(
      {.code = bugcheck::kBadPoolCaller,
       .parameters = {bad_pool_caller::kWrongTag, Address(block), allocated_tag, freeing_tag},
       .parameter_names = {"0x0A: pool freed with the wrong tag", "address of the pool block",
                           "allocator's tag", "tag used to free"},
       .summary =
           fmt::format("{} freed the pool block at {} with tag {}, but it was allocated "
                       "with tag {}. Free a block with the tag it was allocated with.",
                       routine, block, FormatPoolTag(freeing_tag), FormatPoolTag(allocated_tag))});
}

void Verifier::TimerOrDpcInFreedPool(const char* routine, const void* object, bool timer,
                                     std::uint32_t type, const void* begin, const void* end) {
  const std::string summary = fmt::format(
      "{} freed the pool block at {}, which holds {} at {}. {} it before freeing its memory.",
      routine, begin, timer ? "a set KTIMER" : "a queued KDPC", object,
      timer ? "Cancel (KeCancelTimer)" : "Remove (KeRemoveQueueDpc) or flush (KeFlushQueuedDpcs)");
  if (mode_ == CheckMode::kVerifier && timer) {
    host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
                 .parameters = {verifier_code::kFreePoolWithActiveTimer, Address(object), type,
                                Address(begin)},
                 .parameter_names = {"0x15: pool freed with an active timer in it", "timer",
                                     "pool type", "address of the pool block"},
                 .summary = summary});
  }
  // The kernel's own check of memory being freed (KeCheckForTimer). UNCONFIRMED whether a retail
  // kernel runs it on every free; kemu does, since the object would otherwise fire from freed
  // memory.
  host_.Crash(
      TimerOrDpcInRange(timer, object, begin, end, "start of the memory range checked", summary));
}

void Verifier::PoolLeakedAtShutdown(const std::vector<std::string>& blocks,
                                    std::uint64_t first_block) {
  std::string summary =
      "The driver is being unloaded without freeing its pool allocations (Driver Verifier's pool "
      "tracking):";
  for (const std::string& block : blocks) summary += "\n    - " + block;
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kPoolLeakedAtUnload, 0, first_block, blocks.size()},
               .parameter_names = {"0x62: pool allocations not freed at unload",
                                   "name of the driver (kemu: 0, a test has no driver image)",
                                   "verifier's driver entry (kemu: the oldest leaked block)",
                                   "number of allocations not freed"},
               .summary = summary});
}

}  // namespace kemu::verifier
