// System threads: creation, the run of the start routine on a scheduler context, the exit checks,
// handles and references (docs/kernel.md, "System threads").
#include "model/system_threads.hpp"

#include <fmt/format.h>

#include <utility>

#include "model/floating_state.hpp"
#include "model/handles.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// Thread identifiers: multiples of four too; the first ones belong to the vCPUs' own threads.
constexpr std::uintptr_t kFirstThreadId = 0x1000;
// The system process's identifier, CLIENT_ID.UniqueProcess of every system thread.
constexpr std::uintptr_t kSystemProcessId = 4;

}  // namespace

SystemThreads::~SystemThreads() = default;

HANDLE SystemThreads::Create(PKSTART_ROUTINE routine, PVOID context, PCLIENT_ID client_id,
                             PVOID io_object) {
  const auto index = static_cast<unsigned>(threads_.size());
  auto created = std::make_unique<Thread>();
  Thread& thread = *created;
  threads_.push_back(std::move(created));
  thread.routine = routine;
  thread.context = context;
  thread.io_object = io_object;
  thread.id = kFirstThreadId + 4 * index;
  thread.handles = 1;
  // Not signalled until it ends.
  Dispatcher::InitializeHeader(thread.object.header, ThreadObject, kObjectBytes, 0);
  kernel_.dispatcher().NewObject(&thread.object.header);
  // The documented start: PASSIVE_LEVEL, inside a critical region (normal kernel APCs off).
  thread.slots.thread = reinterpret_cast<std::uintptr_t>(&thread.object);
  thread.slots.critical_regions = 1;
  const HANDLE handle = kernel_.handles().Open(HandleKind::kThread);
  handles_[reinterpret_cast<std::uintptr_t>(handle)] = index;
  if (client_id != nullptr) {
    client_id->UniqueProcess = reinterpret_cast<HANDLE>(kSystemProcessId);
    client_id->UniqueThread = reinterpret_cast<HANDLE>(thread.id);
  }
  // What the creator did so far happens before the thread's first step (race detection).
  kernel_.race().Release(&thread.object);
  kernel_.scheduler().AddThread(
      index, [this, index] { Run(index); }, Name(thread));
  return handle;
}

void SystemThreads::Run(unsigned index) {
  Thread& thread = *threads_[index];
  // A logical thread of its own for the race detector, from its creation (which happens before)
  // to its end (which happens before a wait on its object), on unwinding too.
  race::Detector& race = kernel_.race();
  race.BeginSystemThread(&thread.object, reinterpret_cast<const void*>(thread.routine),
                         kernel_.current_processor(), __builtin_frame_address(0));
  struct RaceScope {
    ~RaceScope() { race.EndSystemThread(object); }
    race::Detector& race;
    const void* object;
  } race_scope{race, &thread.object};
  NTSTATUS status = STATUS_SUCCESS;
  try {
    thread.routine(thread.context);
  } catch (const Exit& exit) {
    status = exit.status;
  }
  End(thread, status);
  if (race.pending()) race.RaisePending();
}

void SystemThreads::End(Thread& thread, NTSTATUS status) {
  CheckSavesRestoredAtReturn(kernel_, "system thread",
                             reinterpret_cast<const void*>(thread.routine), 0);
  const unsigned cpu = kernel_.current_processor();
  const KIRQL irql = kernel_.cpu().irql;
  // The start's own critical region is the system's; any other the driver entered and did not
  // leave, a guarded region or a kernel mutex still owned keeps normal kernel APCs disabled.
  const int apc_disable = kernel_.dispatcher().critical_regions(cpu) - 1 +
                          static_cast<int>(kernel_.dispatcher().guarded_regions(cpu)) +
                          static_cast<int>(kernel_.dispatcher().kernel_mutexes_owned(cpu));
  if (irql != PASSIVE_LEVEL || apc_disable != 0) {
    kernel_.verifier().ThreadExitedWithApcsDisabled(
        reinterpret_cast<std::uintptr_t>(thread.routine), apc_disable, irql);
  }
  thread.ended = true;
  thread.exit_status = status;
  kernel_.dispatcher().Signal(&thread.object.header);
}

NTSTATUS SystemThreads::Terminate(NTSTATUS status) {
  // Documented: an error status when the caller is not a system thread; which one is
  // UNCONFIRMED (docs/windows-facts.md §14).
  if (!kernel_.scheduler().RunningThread()) return STATUS_INVALID_PARAMETER;
  throw Exit{status};
}

void SystemThreads::Close(HANDLE handle) {
  const auto found = handles_.find(reinterpret_cast<std::uintptr_t>(handle));
  if (found == handles_.end()) return;  // Handles routes here only the handles Create made
  --threads_[found->second]->handles;
  handles_.erase(found);
}

NTSTATUS SystemThreads::ReferenceByHandle(HANDLE handle, bool thread_type, PVOID* object) {
  const auto found = handles_.find(reinterpret_cast<std::uintptr_t>(handle));
  if (found == handles_.end()) return STATUS_INVALID_HANDLE;
  if (!thread_type) return STATUS_OBJECT_TYPE_MISMATCH;
  Thread& thread = *threads_[found->second];
  ++thread.references;
  *object = &thread.object;
  return STATUS_SUCCESS;
}

LONG_PTR SystemThreads::Reference(const char* routine, PVOID object) {
  Thread* thread = Find(object);
  if (thread == nullptr || !IsLiveObject(object)) {
    NotModelledObject(routine, object);
  }
  return ++thread->references;
}

KPRIORITY SystemThreads::Priority(const char* routine, const void* object,
                                  std::optional<KPRIORITY> priority) {
  Thread* thread = Find(object);
  if (thread == nullptr) NotModelledObject(routine, object);
  const KPRIORITY old = thread->priority;
  if (priority) {
    if (*priority <= LOW_PRIORITY || *priority > HIGH_PRIORITY) {
      kernel_.verifier().ThreadPriorityOutOfRange(routine, object, *priority);
    }
    thread->priority = *priority;
  }
  return old;
}

LONG_PTR SystemThreads::Dereference(const char* routine, PVOID object, const void* object_type) {
  Thread* thread = Find(object);
  if (thread == nullptr) NotModelledObject(routine, object);
  if (thread->references == 0) {
    kernel_.verifier().ObjectOverDereferenced(routine, object, object_type);
    return 0;  // kRecord: nothing to drop
  }
  return --thread->references;
}

std::uintptr_t SystemThreads::Current() const {
  const std::optional<unsigned> index = kernel_.scheduler().RunningThread();
  return index ? reinterpret_cast<std::uintptr_t>(&threads_[*index]->object) : 0;
}

HANDLE SystemThreads::CurrentId() const {
  if (const std::optional<unsigned> index = kernel_.scheduler().RunningThread()) {
    return reinterpret_cast<HANDLE>(threads_[*index]->id);
  }
  // A vCPU's own thread (or a work item's worker on it): its own small identifier.
  return reinterpret_cast<HANDLE>(std::uintptr_t{8} + 4 * kernel_.current_processor());
}

bool SystemThreads::IsLiveObject(const void* object) const {
  for (const auto& thread : threads_) {
    if (&thread->object != object) continue;
    // Gone once it has ended and the driver holds neither a handle nor a reference.
    return !thread->ended || thread->handles > 0 || thread->references > 0;
  }
  return false;
}

std::string SystemThreads::DescribeOwner(std::uintptr_t thread, unsigned cpu) const {
  for (unsigned index = 0; index < threads_.size(); ++index) {
    if (reinterpret_cast<std::uintptr_t>(&threads_[index]->object) == thread) {
      return Describe(index);
    }
  }
  return fmt::format("the thread on vCPU {}", cpu);
}

std::string SystemThreads::Describe(unsigned index) const {
  const Thread& thread = *threads_.at(index);
  return fmt::format("the system thread {:#x} (start routine {}, thread object {})", thread.id,
                     reinterpret_cast<const void*>(thread.routine),
                     static_cast<const void*>(&thread.object));
}

void SystemThreads::NotModelledObject(const char* routine, const void* object) {
  // Only system threads' objects are counted: a reference to any other object (a device object,
  // a file object) would otherwise succeed without meaning anything.
  kernel_.ThrowNotModelled(fmt::format(
      "{} on {} (kemu counts references to system thread objects only)", routine, object));
}

SystemThreads::Thread* SystemThreads::Find(const void* object) {
  for (const auto& thread : threads_) {
    if (&thread->object == object) return thread.get();
  }
  return nullptr;
}

void SystemThreads::Seat(unsigned index, unsigned cpu) {
  Thread& thread = *threads_[index];
  Cpu& state = kernel_.cpu(cpu);
  thread.displaced_irql = state.irql;
  state.irql = thread.irql;
  kernel_.dispatcher().SwapThreadSlots(cpu, thread.slots);
  kernel_.race().SeatThread(&thread.object, cpu);
}

void SystemThreads::Unseat(unsigned index, unsigned cpu) {
  Thread& thread = *threads_[index];
  Cpu& state = kernel_.cpu(cpu);
  thread.irql = state.irql;
  state.irql = thread.displaced_irql;
  kernel_.dispatcher().SwapThreadSlots(cpu, thread.slots);
  kernel_.race().UnseatThread(&thread.object, cpu);
}

std::string SystemThreads::Name(const Thread& thread) const {
  return fmt::format("system thread {:#x} (start routine {})", thread.id,
                     reinterpret_cast<const void*>(thread.routine));
}

std::vector<std::string> SystemThreads::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (unsigned i = 0; i < threads_.size(); ++i) {
    const Thread& thread = *threads_[i];
    if (!thread.ended) {
      lines.push_back(fmt::format(
          "the {} is still running ({}): {}; end it in the stop path (signal it to return, then "
          "wait on its thread object)",
          Name(thread), kernel_.scheduler().DescribeThread(i),
          thread.io_object != nullptr
              ? fmt::format("it holds the reference IoCreateSystemThread took to the I/O object "
                            "at {}, which keeps the driver from unloading",
                            static_cast<const void*>(thread.io_object))
              : std::string("Windows would unload the driver under it")));
    }
    if (thread.handles > 0) {
      lines.push_back(fmt::format("the handle to the {} was never closed (ZwClose)", Name(thread)));
    }
    if (thread.references > 0) {
      lines.push_back(
          fmt::format("{} reference(s) to the object of the {} at {} were never dropped "
                      "(ObDereferenceObject)",
                      thread.references, Name(thread), static_cast<const void*>(&thread.object)));
    }
  }
  return lines;
}

LONG_PTR SystemThreads::IoObjectReferences(const void* io_object) const {
  LONG_PTR references = 0;
  for (const auto& thread : threads_) {
    if (!thread->ended && thread->io_object != nullptr && thread->io_object == io_object) {
      ++references;
    }
  }
  return references;
}

std::uintptr_t SystemThreads::FirstLeak() const {
  for (const auto& thread : threads_) {
    if (!thread->ended || thread->handles > 0 || thread->references > 0) {
      return reinterpret_cast<std::uintptr_t>(&thread->object);
    }
  }
  return 0;
}

}  // namespace kemu::model
