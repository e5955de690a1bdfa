// The data-race report: both accesses with who made them, what they held and where in the source
// they are, why they may run at once, then the machine context every bug-check report has.
#include <fmt/format.h>

#include <bit>

#include "race/detector.hpp"

namespace kemu::race {

namespace {

const char* KindOf(const Access& access) {
  if (access.atomic) return access.write ? "atomic write" : "atomic read";
  return access.write ? "write" : "read";
}

/// The vCPU an access ran on: the one bit of a pinned context, or the vCPU recorded for it.
std::string Processors(std::uint64_t mask) {
  if (std::has_single_bit(mask)) return fmt::format("vCPU {}", std::countr_zero(mask));
  return fmt::format("any of vCPUs 0x{:x}", mask);
}

}  // namespace

std::string Detector::DescribeContext(std::uint32_t context,
                                      const std::map<std::uintptr_t, CodeName>& names) const {
  const ContextInfo& info = contexts_.at(context);
  auto name_of = [&](const void* routine) {
    auto it = names.find(reinterpret_cast<std::uintptr_t>(routine));
    return it != names.end() && !it->second.function.empty() ? it->second.function
                                                             : fmt::format("{}", routine);
  };
  switch (info.kind) {
    case ContextKind::kIsr:
      return fmt::format("the ISR {} (vector 0x{:x}) on vCPU {}", name_of(info.routine),
                         info.vector, info.cpu);
    case ContextKind::kNmi:
      return fmt::format("the NMI callback {} on vCPU {}", name_of(info.routine), info.cpu);
    case ContextKind::kDpc:
      if (const auto named = callback_dpcs_.find(info.object); named != callback_dpcs_.end()) {
        const CallbackDpc& callback = named->second;
        return fmt::format("the {} {} ({} {}, run by its DPC) on vCPU {}", callback.role,
                           name_of(callback.callback), callback.object_kind, callback.object,
                           info.cpu);
      }
      return fmt::format("the DPC routine {} (KDPC {}) on vCPU {}", name_of(info.routine),
                         info.object, info.cpu);
    case ContextKind::kWorkItem:
      return fmt::format("the work item routine {} (PIO_WORKITEM {})", name_of(info.routine),
                         info.object);
    case ContextKind::kSystemThread:
      return fmt::format("the system thread {} (thread object {})", name_of(info.routine),
                         info.object);
    case ContextKind::kTestThread:
      break;
  }
  return "the test's thread (driver code the test called)";
}

std::string Detector::DescribeLocks(std::uint32_t lockset) const {
  const std::vector<LockId>& locks = locksets_.at(lockset);
  if (locks.empty()) return "holding no spin lock";
  std::string out = "holding ";
  for (std::size_t i = 0; i < locks.size(); ++i) {
    if (i > 0) out += i + 1 == locks.size() ? " and " : ", ";
    const auto address = reinterpret_cast<std::uintptr_t>(locks[i].address);
    const auto kind = lock_kinds_.find(address);
    if (interrupt_locks_.contains(address)) {
      out += fmt::format("the interrupt spin lock at {}", locks[i].address);
    } else if (kind != lock_kinds_.end()) {
      out += fmt::format("the {} at {}", kind->second, locks[i].address);
    } else {
      out += fmt::format("the spin lock at {}", locks[i].address);
    }
    // Two accesses "holding the spin lock at" one address yet sharing no lock: say which is old.
    const auto current = lock_generations_.find(address);
    if (current != lock_generations_.end() && current->second != locks[i].generation) {
      out += " (an earlier lock there: KeInitializeSpinLock or a free began another since)";
    }
  }
  return out;
}

std::string Detector::DescribeAccess(const Access& access, bool first,
                                     const std::map<std::uintptr_t, CodeName>& names) const {
  auto code = [&](std::uintptr_t address) { return Describe(names.at(address)); };
  std::string out =
      access.freed
          ? fmt::format("  Then the free of the pool block holding 0x{:x} by {} at IRQL {}\n",
                        access.address, DescribeContext(access.context, names), access.irql)
          : fmt::format("  {} {} of {} byte{} at 0x{:x} by {} at IRQL {}\n",
                        first ? "The earlier" : "Then a", KindOf(access), access.size,
                        access.size == 1 ? "" : "s", access.address,
                        DescribeContext(access.context, names), access.irql);
  out += fmt::format("      {}\n", DescribeLocks(access.lockset));
  // Return addresses point after the call: one byte back is the calling instruction's line.
  out += fmt::format("      at {}\n", code(access.pc - 1));
  for (std::uintptr_t caller : access.callers) {
    if (caller == 0) break;
    out += fmt::format("      called from {}\n", code(caller - 1));
  }
  out += fmt::format("      after trace event #{}\n", access.trace_event);
  return out;
}

std::string Detector::WhyConcurrent(const Access& prior, const Access& now) const {
  if (prior.cpu_mask == now.cpu_mask && std::has_single_bit(now.cpu_mask) &&
      ThreadsInterleave(prior, now)) {
    return fmt::format(
        "On {} both run in threads (a threaded DPC runs in one), and the thread scheduler may "
        "switch to one while the other runs below DISPATCH_LEVEL.",
        Processors(now.cpu_mask));
  }
  if (prior.cpu_mask == now.cpu_mask && std::has_single_bit(now.cpu_mask)) {
    // Named as the accesses above are ("The earlier", "Then a"): the interrupting one may be
    // either.
    const bool later_interrupts = now.base_irql > prior.irql;
    const Access& preempting = later_interrupts ? now : prior;
    const Access& preempted = later_interrupts ? prior : now;
    const char* interrupting = later_interrupts ? "later" : "earlier";
    const char* interrupted = later_interrupts ? "earlier" : "later";
    return fmt::format(
        "On {} the {} can interrupt the {}: it runs at IRQL {} and the {} ran at IRQL {}.",
        Processors(now.cpu_mask), interrupting, interrupted, preempting.base_irql, interrupted,
        preempted.irql);
  }
  return fmt::format(
      "They can run at the same time on different vCPUs (the earlier on {}, the "
      "later on {}).",
      Processors(prior.cpu_mask), Processors(now.cpu_mask));
}

std::string Detector::FormatRace(const Access& prior, const Access& now,
                                 std::uintptr_t address) const {
  std::string out = fmt::format("*** kemu DATA RACE on 0x{:x}", address);
  const std::string block = host_.DescribePoolAddress(address);
  out += block.empty() ? "\n" : fmt::format(" ({})\n", block);
  out += "\n";
  // Every code address the report names, symbolised at once.
  std::vector<std::uintptr_t> code;
  for (const Access* access : {&prior, &now}) {
    code.push_back(access->pc - 1);
    for (std::uintptr_t caller : access->callers) {
      if (caller != 0) code.push_back(caller - 1);
    }
    const ContextInfo& info = contexts_.at(access->context);
    code.push_back(reinterpret_cast<std::uintptr_t>(info.routine));
    if (const auto named = callback_dpcs_.find(info.object); named != callback_dpcs_.end()) {
      code.push_back(reinterpret_cast<std::uintptr_t>(named->second.callback));
    }
  }
  const std::map<std::uintptr_t, CodeName> names = NameCode(code);
  out += DescribeAccess(prior, /*first=*/true, names);
  out += DescribeAccess(now, /*first=*/false, names);
  if (now.freed) {
    out += fmt::format(
        "\n  Nothing orders the access before the free: the memory may be used after it is\n"
        "  freed. {}\n"
        "  Before freeing what an ISR, DPC, work item or thread uses, end that use: disconnect\n"
        "  the interrupt (or disable it at the device under the interrupt lock), then\n"
        "  KeFlushQueuedDpcs so that no queued or running DPC is left, and wait for work items\n"
        "  and threads to finish.\n\n",
        WhyConcurrent(prior, now));
    return out + host_.MachineContext();
  }
  out += fmt::format(
      "\n  Nothing orders the two: they hold no lock in common, and no connect, DPC or work item\n"
      "  queue, thread creation, event signal and wait, disconnect, DPC flush, Interlocked\n"
      "  operation, or release and later acquire of one lock lies between them.\n  {}\n"
      "  Take the same lock around both (KeSynchronizeExecution or the interrupt spin lock\n"
      "  against an ISR). Where one side hands the data to the other through a flag, write the\n"
      "  flag after the data with WriteRelease or an Interlocked operation and read it before\n"
      "  the data with ReadAcquire: ReadNoFence and WriteNoFence order nothing. A deliberate\n"
      "  race is marked with KEMU_BENIGN_RACE (<kemu_race.h>).\n\n",
      WhyConcurrent(prior, now));
  return out + host_.MachineContext();
}

}  // namespace kemu::race
