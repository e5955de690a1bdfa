// Device rules: MmMapIoSpace / MmUnmapIoSpace and register accesses outside every mapping, error
// log entries handed back twice, and a routine that needs a PDO given something else.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::MapIoSpaceAboveDispatch(KIRQL current, std::uint64_t physical, std::uint64_t bytes) {
  const std::string summary = fmt::format(
      "MmMapIoSpace was called at IRQL {} to map {:#x} bytes at physical {:#x}; it may only be "
      "called at IRQL <= DISPATCH_LEVEL. Map device memory once, when the device starts.",
      current, bytes, physical);
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck(
          {.code = bugcheck::kDriverVerifierDetectedViolation,
           .parameters = {verifier_code::kMapIoSpaceAboveDispatch, current, physical, bytes},
           .parameter_names = {"0x73: MmMapIoSpace above DISPATCH_LEVEL", "current IRQL",
                               "physical address", "number of bytes"},
           .summary = summary});
      return;
    case CheckMode::kChecked:
      host_.BugCheck(IrqlFault(current, summary));
      return;
    case CheckMode::kRetail:
      return;  // the retail kernel maps anyway; whether that works depends on luck
  }
}

void Verifier::UnmapUnknownIoSpace(const void* address, std::uint64_t bytes,
                                   std::uint64_t mapped_bytes) {
  const std::string summary =
      mapped_bytes == 0
          ? fmt::format(
                "MmUnmapIoSpace was given {}, which MmMapIoSpace never returned (or "
                "which was already unmapped). Windows would free system PTEs it does "
                "not own.",
                address)
          : fmt::format(
                "MmUnmapIoSpace was given {} with {:#x} bytes, but that mapping is {:#x} "
                "bytes. Pass the size the mapping was made with.",
                address, bytes, mapped_bytes);
  // Windows documents no sub-code for this; without Verifier the PTE corruption surfaces later
  // as an unrelated crash, so kemu reports it where it happens in every mode.
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kUnmapUnknownIoSpace,
                      reinterpret_cast<std::uintptr_t>(address), bytes, mapped_bytes},
       .parameter_names = {"kemu: MmUnmapIoSpace of an unknown mapping", "address passed",
                           "number of bytes passed", "bytes mapped at that address (0: none)"},
       .summary = summary});
}

void Verifier::UnmappedRegisterAccess(std::uintptr_t address, unsigned width, bool write,
                                      const std::string& why) {
  host_.Crash(
      {.code = bugcheck::kPageFaultInNonpagedArea,
       .parameters = {address, write ? 1u : 0u, 0, 0},
       .parameter_names = {"memory referenced", write ? "1: write" : "0: read",
                           "address of the instruction (not available in kemu)", nullptr},
       .summary = fmt::format("{} of {} bytes at {:#x}, which no MmMapIoSpace mapping covers. {}",
                              write ? "WRITE_REGISTER" : "READ_REGISTER", width, address, why)});
}

void Verifier::InvalidPdo(const char* routine, const void* pointer) {
  // Bug check 0xCA's parameter 0x2 ("invalid PDO") covers random memory, an FDO and a PDO the PnP
  // manager never enumerated. kemu has no driver objects, so the driver object is 0.
  host_.Crash(
      {.code = bugcheck::kPnpDetectedFatalError,
       .parameters = {0x2, Address(pointer), 0, 0},
       .parameter_names = {"0x2: invalid PDO", "purported PDO", "driver object (none in kemu)",
                           nullptr},
       .summary = fmt::format(
           "{} was given {}, which is not a physical device object the PnP manager enumerated "
           "(kemu::Device::pdo()). Pass the PDO your AddDevice routine received, not your "
           "own device object.",
           routine, pointer)});
}

void Verifier::InvalidErrorLogEntry(const char* routine, const void* entry) {
  // Windows documents no code: the entry's memory goes back to pool when written or freed, so a
  // second hand-back is a double free (UNCONFIRMED how it shows). kemu stops in every mode.
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kInvalidErrorLogEntry, Address(entry), 0, 0},
       .parameter_names = {"kemu: not a live error log entry", "entry address", nullptr, nullptr},
       .summary = fmt::format(
           "{} was given {}, which is not an error log entry IoAllocateErrorLogEntry "
           "returned and nobody has written or freed yet. IoWriteErrorLogEntry frees the "
           "entry itself: write it, or free it with IoFreeErrorLogEntry, once.",
           routine, entry)});
}

void Verifier::ErrorLogEntryOverrun(const char* routine, const void* entry, const void* corrupted,
                                    SIZE_T bytes) {
  // IoWriteErrorLogEntry frees the entry as ExFreePool frees a block: special pool checks it there.
  SpecialPoolOverrun(routine, entry, corrupted,
                     fmt::format("the {}-byte error log entry at {} (IoAllocateErrorLogEntry's "
                                 "EntrySize, at least the packet header)",
                                 bytes, entry));
}

}  // namespace kemu::verifier
