// Freed special pool (Driver Verifier only): a driver that uses pool after freeing it. Windows'
// special pool makes a freed block's page inaccessible, so the access itself faults: 0xD5
// DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xCC when the faulting code is not a driver's). kemu
// cannot trap a load of ordinary driver code; it finds what reaches the kernel
// (model/pool_quarantine.hpp): a pointer into a freed block, a value read out of one, and a write
// into one when the block is released. Driver code built with kemu_instrument_driver() is checked
// at each load and store (Pool::CheckDriverAccess), so there the access itself is reported.
#include <fmt/format.h>

#include <string>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

constexpr std::uint64_t kRead = 0;
constexpr std::uint64_t kWrite = 1;

constexpr const char* kAdvice =
    "Free a block only when nothing can still use it: remove its DPCs and wait for those running "
    "(KeFlushQueuedDpcs), cancel its timers, let its work items finish, disconnect its interrupt.";

// Arg3 is the faulting instruction on Windows. For an instrumented driver access kemu has the
// access's return address in the driver (`pc`); for what reaches a kernel routine it has none.
Violation FreedPoolFault(std::uint64_t address, std::uint64_t access, std::string summary,
                         std::uintptr_t pc = 0) {
  return {
      .code = bugcheck::kDriverPageFaultInFreedSpecialPool,
      .parameters = {address, access, pc, 0},
      .parameter_names = {"memory address referenced", access == kWrite ? "1: write" : "0: read",
                          pc != 0 ? "address that referenced memory (the driver code's return "
                                    "address from the access)"
                                  : "address that referenced memory (not available in kemu)",
                          nullptr},
      .summary = std::move(summary)};
}

// "Driver code at capture.c:331 in CapDpcForIsr (a DPC routine on vCPU 0 at IRQL 2 on ...)", as
// the race reports name an access; "Driver code" when the place is unknown.
std::string DriverCode(const std::string& code, const std::string& callback) {
  std::string text = "Driver code";
  if (!code.empty()) text += " at " + code;
  if (!callback.empty()) text += fmt::format(" ({})", callback);
  return text;
}

}  // namespace

void Verifier::FreedPoolReferenced(const char* routine, const char* parameter,
                                   std::uint64_t address, const std::string& block) {
  // The routine's first touch of the object is taken as a read at the address passed (it reads
  // the object's state before it changes it); which field Windows touches first is not modelled.
  host_.Crash(FreedPoolFault(
      address, kRead,
      fmt::format("{} was given {} = {:#x}, which points into {}: the driver used pool after "
                  "freeing it. {}",
                  routine, parameter, address, block, kAdvice)));
}

void Verifier::FreedPoolValuePassed(const char* routine, const char* parameter, std::uint64_t value,
                                    std::uint64_t read_from, const std::string& block) {
  // Windows faults on the driver's read of the value, so Arg1 is where it was read (kemu knows it
  // from the poison word); the value itself never reaches a kernel routine there.
  const std::string where =
      read_from == 0 ? std::string("out of") : fmt::format("at {:#x} in", read_from);
  host_.Crash(FreedPoolFault(
      read_from != 0 ? read_from : value, kRead,
      fmt::format("{} was given {} = {:#x}, kemu's poison for freed pool: the driver used pool "
                  "after freeing it, reading this pointer {} {} (under special pool the read "
                  "itself faults). {}",
                  routine, parameter, value, where, block, kAdvice)));
}

void Verifier::FreedPoolAccessed(std::uint64_t address, bool write, std::uint64_t offset,
                                 const std::string& block, std::uintptr_t pc) {
  // Arg1 is the address itself: the access is the one special pool faults on.
  host_.Crash(FreedPoolFault(
      address, write ? kWrite : kRead,
      fmt::format("{} {} {:#x}, offset {:#x} of {}: the driver used pool after freeing it "
                  "(under special pool this access faults). {}",
                  DriverCode(host_.DescribeCode(pc), host_.RunningCallback()),
                  write ? "wrote to" : "read from", address, offset, block, kAdvice),
      pc));
}

void Verifier::FreedPoolPoisonFollowed(std::uint64_t address, bool write, std::uint64_t read_from,
                                       const std::string& block, std::uintptr_t pc) {
  const std::string where =
      read_from == 0 ? std::string("out of") : fmt::format("at {:#x} in", read_from);
  host_.Crash(FreedPoolFault(
      read_from != 0 ? read_from : address, kRead,
      fmt::format("{} was about to {} {:#x}, kemu's poison for freed pool: it read this "
                  "pointer {} {} and followed it (under special pool the read itself faults). {}",
                  DriverCode(host_.DescribeCode(pc), host_.RunningCallback()),
                  write ? "write to" : "read from", address, where, block, kAdvice),
      pc));
}

void Verifier::FreedPoolWritten(const char* routine, const void* changed,
                                const std::string& block) {
  // Found late: Windows faults at the write itself; kemu sees it when the block leaves the
  // quarantine (a later free past the budget, or the shutdown).
  host_.BugCheck(FreedPoolFault(
      Address(changed), kWrite,
      fmt::format("{} released {} from the special-pool quarantine, but the byte at {} had been "
                  "written after the free: the driver wrote to pool it had freed. {}",
                  routine, block, changed, kAdvice)));
}

void Verifier::KernelObjectInFreedPool(const char* routine, const char* expected,
                                       const void* object, const std::string& block,
                                       bool quarantined) {
  const std::string summary = fmt::format(
      "{} was given {}, which is not {}: it lies at {}, so the driver used the object after "
      "freeing the pool that holds it (the free may have come while {} ran, from a DPC or "
      "another vCPU). {}",
      routine, object, expected, block, routine, kAdvice);
  if (quarantined) host_.Crash(FreedPoolFault(Address(object), kRead, summary));
  host_.Crash(NotAKernelObject(object, summary));
}

}  // namespace kemu::verifier
