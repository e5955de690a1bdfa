// List rules. Doubly linked lists (ExInterlocked*List): Windows 8 and later check the links a
// change touches (the list routines fail fast with 0x139 / 3), earlier kernels follow them.
// Sequenced lists (SLIST): on x64 the header is updated with a 16-byte compare-exchange, which
// faults on a header that is not 16-byte aligned, and it keeps an entry's address shifted right
// by four, so an entry must be 16-byte aligned too.
#include <fmt/format.h>

#include <string>
#include <utility>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

namespace {

// 0x139 KERNEL_SECURITY_CHECK_FAILURE / 3, the fast fail of a list whose links disagree.
Violation CorruptedListEntry(std::string summary) {
  return {.code = bugcheck::kKernelSecurityCheckFailure,
          .parameters = {3, 0, 0, 0},
          .parameter_names = {"3: a LIST_ENTRY has been corrupted (i.e. double remove)",
                              "address of the trap frame (not available in kemu)",
                              "address of the exception record (not available in kemu)", nullptr},
          .summary = std::move(summary)};
}

}  // namespace

void Verifier::ListLinkFaults(const char* routine, const void* head, std::uint64_t link) {
  host_.Crash(AccessViolation(
      fmt::format("{} followed a link of the list at {} to {:#x}, which no processor can read: "
                  "the list was never initialised (InitializeListHead), or holds an entry "
                  "already removed (a checked kernel poisons a removed entry's links with "
                  "0xBADDD0FFBADDD0FF), or its memory was overwritten.",
                  routine, head, link),
      link));
}

void Verifier::CorruptListEntry(const char* routine, const void* head, const void* entry) {
  host_.Crash(CorruptedListEntry(fmt::format(
      "{} found the links around the entry at {} in the list at {} disagreeing (its "
      "neighbour does not link back to it): an entry inserted twice, removed twice, or "
      "used after its removal. Windows 8 and later check before changing a list and stop "
      "here; earlier kernels corrupt memory.",
      routine, entry, head)));
}

void Verifier::ListLinksDisagree(const void* entry, const void* neighbour, const void* link) {
  host_.Crash(CorruptedListEntry(fmt::format(
      "A list routine the driver inlined (InsertHeadList, InsertTailList, RemoveEntryList, "
      "RemoveHeadList or RemoveTailList) found the entry at {} and its neighbour at {} "
      "disagreeing: the neighbour links to {} instead of back to it. An entry removed "
      "twice, or used after its removal, or a list whose memory was overwritten. Drivers "
      "built for Windows 8 and later check the links before changing them and stop here; "
      "older ones corrupt memory.",
      entry, neighbour, link)));
}

void Verifier::FailFast(std::uint64_t code) {
  host_.Crash(
      {.code = bugcheck::kKernelSecurityCheckFailure,
       .parameters = {code, 0, 0, 0},
       .parameter_names = {"the fast-fail code",
                           "address of the trap frame (not "
                           "available in kemu)",
                           "address of the exception record (not available in kemu)", nullptr},
       .summary = fmt::format("The driver called RtlFailFast({}): it found its own state "
                              "corrupted and stopped the system.",
                              code)});
}

void Verifier::ObjectInitializedWhileWaitedOn(const char* routine, const char* kind,
                                              const void* object, const char* waiter) {
  host_.Crash(CorruptedListEntry(fmt::format(
      "{} initialised the {} at {} while a thread still waits on it ({}). Initialising "
      "writes an empty wait list over the one that holds the waiter's wait block: the "
      "waiter is never woken, and unlinking its block later corrupts the list (Windows 8 "
      "and later stop with this bug check then; earlier releases corrupt memory). Wake or "
      "end the waiters before initialising an object again.",
      routine, kind, object, waiter)));
}

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

void Verifier::LookasideEntryChanged(const char* routine, const void* list, const void* entry,
                                     const void* link, const void* expected) {
  // Windows does not check: the next allocation hands out whatever the link names, and the list
  // goes on from there (or the processor faults on it). kemu keeps its own record of the entries
  // and stops at the first allocation or flush that would follow the changed link.
  const bool header = entry == list;
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kLookasideEntryChanged, Address(list), Address(entry),
                      Address(link)},
       .parameter_names = {"kemu: lookaside list entry changed after it was freed to the list",
                           "lookaside list", "entry (the list itself: its header)", "link found"},
       .summary =
           header
               ? fmt::format("{} found the lookaside list at {} pointing to {} as its first cached "
                             "entry, where kemu left {}: the list's header was overwritten. A "
                             "lookaside list belongs to the kernel between ExInitialize... and "
                             "ExDelete...: touch it only through the lookaside routines.",
                             routine, list, link, expected)
               : fmt::format(
                     "{} found the entry at {}, which the driver freed to the lookaside list "
                     "at {}, changed: its link to the next cached entry reads {} where kemu "
                     "left {}. The driver wrote into the entry after freeing it "
                     "(ExFreeTo...LookasideList...): Windows would follow that link and hand "
                     "out or free memory that is not the list's. Stop using an entry once it "
                     "is freed to the list.",
                     routine, entry, list, link, expected)});
}

void Verifier::LookasideReinitialized(const char* routine, const void* list) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) return;
  host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                  .parameters = {verifier_code::kLookasideReinitialized, Address(list), 0, 0},
                  .parameter_names = {"0xCA: lookaside list initialized again",
                                      "lookaside list address", "reserved", "reserved"},
                  .summary = fmt::format(
                      "{} initialized the lookaside list at {}, which is initialized already: "
                      "the entries it caches are lost. Delete it first.",
                      routine, list)});
}

void Verifier::DeleteUninitializedLookaside(const char* routine, const void* list,
                                            const char* expected) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) {
    InvalidKernelObject(routine, expected, list);
  }
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kDeleteUninitializedLookaside, Address(list), 0, 0},
               .parameter_names = {"0xCB: uninitialized lookaside list deleted",
                                   "lookaside list address", "reserved", "reserved"},
               .summary = fmt::format("{} deleted the lookaside list at {}, which is not "
                                      "initialized (never, or deleted already).",
                                      routine, list)});
}

void Verifier::LookasideBlockTooSmall(const char* routine, const void* list, std::uint64_t size,
                                      std::uint64_t minimum) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kLookasideBlockTooSmall, Address(list), size, minimum},
       .parameter_names = {"0xCD: lookaside block size too small", "lookaside list address",
                           "block size specified", "minimum supported block size"},
       .summary = fmt::format("{} set up the lookaside list at {} for {}-byte entries; the "
                              "smallest it supports is LOOKASIDE_MINIMUM_BLOCK_SIZE, {} bytes, "
                              "room for the link it keeps in a free entry.",
                              routine, list, size, minimum)});
}

void Verifier::LookasideInFreedPool(const char* routine, const void* list, const void* block,
                                    std::uint64_t bytes) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kFreePoolWithActiveLookaside, Address(list), Address(block),
                      bytes},
       .parameter_names = {"0xCC: pool freed with an active lookaside list in it",
                           "lookaside list address", "start of the pool allocation",
                           "size of the pool allocation"},
       .summary = fmt::format("{} freed the pool block at {} ({} bytes), which holds the lookaside "
                              "list at {}, never deleted: call ExDelete(N)PagedLookasideList or "
                              "ExDeleteLookasideListEx before freeing its memory.",
                              routine, block, bytes, list)});
}

}  // namespace kemu::verifier
