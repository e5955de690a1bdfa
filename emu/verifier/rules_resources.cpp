// Rules for executive resources (docs/kernel.md, "Executive resources"). Driver Verifier's
// deadlock detection does not watch ERESOURCEs, so none of these is a lock-order rule: Windows
// itself raises 0xE3, Verifier's resource checks give 0x37, 0x38 and (Vista+) 0xD0-0xD2.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::ResourceNotOwned(const char* routine, const void* resource, std::uintptr_t thread) {
  // The kernel checks this itself, with or without Verifier. kemu keeps owners beside the
  // resource, so there is no owner table to point at.
  host_.Crash({.code = bugcheck::kResourceNotOwned,
               .parameters = {Address(resource), thread, 0, 0},
               .parameter_names = {"resource address", "thread address",
                                   "owner table (not available in kemu)", "reserved"},
               .summary = fmt::format(
                   "{} released the executive resource at {} for the thread at {:#x}, which does "
                   "not own it: release a resource once per acquisition, from the thread that "
                   "acquired it.",
                   routine, resource, thread)});
}

void Verifier::ResourceWithApcsEnabled(const char* routine, const void* resource, KIRQL current,
                                       bool acquiring) {
  ApcsEnabled(acquiring ? verifier_code::kAcquireResourceApcsEnabled
                        : verifier_code::kReleaseResourceApcsEnabled,
              acquiring ? "0x37: resource acquired with APCs enabled"
                        : "0x38: resource released with APCs enabled",
              current, resource, "resource",
              fmt::format("{} was called at IRQL {} with normal kernel APCs enabled: disable "
                          "them with KeEnterCriticalRegion before acquiring an executive "
                          "resource, and leave the region only after releasing it.",
                          routine, current));
}

void Verifier::UnalignedResource(const char* routine, const void* resource) {
  if (mode_ != CheckMode::kVerifier) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kUnalignedResource, 0, 0, Address(resource)},
       .parameter_names = {"0x3D: bad (unaligned) resource", "0", "0", "resource address"},
       .summary = fmt::format("{} was passed the executive resource at {}, which is not 8-byte "
                              "aligned: an ERESOURCE must be, on 64-bit Windows.",
                              routine, resource)});
}

void Verifier::ResourceReinitialized(const char* routine, const void* resource) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) return;
  host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                  .parameters = {verifier_code::kResourceReinitialized, Address(resource), 0, 0},
                  .parameter_names = {"0xD0: ERESOURCE initialized again", "resource address",
                                      "reserved", "reserved"},
                  .summary = fmt::format(
                      "{} initialized the executive resource at {}, which is initialized already: "
                      "call ExDeleteResourceLite first, or ExReinitializeResourceLite.",
                      routine, resource)});
}

void Verifier::DeleteUninitializedResource(const char* routine, const void* resource) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) {
    // Windows would unlink garbage from its resource list; kemu stops instead.
    InvalidKernelObject(routine, "an initialized executive resource", resource);
  }
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kDeleteUninitializedResource, Address(resource), 0, 0},
               .parameter_names = {"0xD1: uninitialized ERESOURCE deleted", "resource address",
                                   "reserved", "reserved"},
               .summary = fmt::format("{} deleted the executive resource at {}, which is not "
                                      "initialized (never, or deleted already).",
                                      routine, resource)});
}

void Verifier::ResourceInFreedPool(const char* routine, const void* resource, const void* block,
                                   std::uint64_t bytes) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_resource_checks) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kFreePoolWithActiveResource, Address(resource), Address(block),
                      bytes},
       .parameter_names = {"0xD2: pool freed with an active ERESOURCE in it", "resource address",
                           "start of the pool allocation", "size of the pool allocation"},
       .summary = fmt::format("{} freed the pool block at {} ({} bytes), which holds the executive "
                              "resource at {}, never passed to ExDeleteResourceLite.",
                              routine, block, bytes, resource)});
}

void Verifier::ResourceDeletedWhileOwned(const char* routine, const void* resource,
                                         std::uintptr_t owner) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kResourceDeletedWhileOwned, Address(resource), owner, 0},
       .parameter_names = {"kemu: ERESOURCE deleted while owned", "resource address",
                           "an owning thread", nullptr},
       .summary = fmt::format("{} deleted the executive resource at {} while the thread at "
                              "{:#x} still owns it: release every acquisition first.",
                              routine, resource, owner)});
}

void Verifier::ResourceConvertedByNonOwner(const char* routine, const void* resource,
                                           std::uintptr_t thread) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kResourceConvertedByNonOwner, Address(resource), thread, 0},
       .parameter_names = {"kemu: ERESOURCE converted without exclusive ownership",
                           "resource address", "thread address", nullptr},
       .summary = fmt::format("{} converted the executive resource at {} to shared, but the "
                              "thread at {:#x} does not own it exclusively.",
                              routine, resource, thread)});
}

void Verifier::ResourceExclusiveBySharedOwner(const char* routine, const void* resource,
                                              const std::vector<std::string>& contexts) {
  // Not a Verifier check (its deadlock detection does not watch ERESOURCEs): the thread waits for
  // its own shared hold to go, for ever, which is the report a hang gets.
  WaitNeverCompletes(host_.current_processor(), host_.RunningContext(),
                     // A noun phrase: the report reads "<waiter> waits for <this>, and ...".
                     fmt::format("exclusive access to the executive resource at {} in {}, which "
                                 "its own thread holds shared (it waits for itself; release the "
                                 "shared hold first)",
                                 resource, routine),
                     contexts);
}

}  // namespace kemu::verifier
