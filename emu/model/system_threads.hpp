// Driver-created system threads (PsCreateSystemThread), their handles and their objects. Each
// thread is an execution context of the scheduler's (model/scheduler.hpp) that runs its start
// routine at PASSIVE_LEVEL on a vCPU it borrows, with its own identity: PsGetCurrentThread,
// mutex and ERESOURCE ownership and critical regions are its own, swapped in while it runs
// (Dispatcher::SwapThreadSlots). Its object is a kemu-owned dispatcher object that is signalled
// when the thread ends, so KeWaitForSingleObject on it waits for the end. A thread still running,
// a handle never closed or a reference never dropped at Machine::Shutdown is a leak.
#ifndef KEMU_EMU_MODEL_SYSTEM_THREADS_HPP_
#define KEMU_EMU_MODEL_SYSTEM_THREADS_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/dispatcher.hpp"

namespace kemu::model {

class Kernel;

class SystemThreads {
 public:
  /// Bytes of a thread object: a DISPATCHER_HEADER and room kemu never writes.
  static constexpr std::size_t kObjectBytes = 64;

  explicit SystemThreads(Kernel& kernel) : kernel_(kernel) {}
  ~SystemThreads();
  SystemThreads(const SystemThreads&) = delete;
  SystemThreads& operator=(const SystemThreads&) = delete;

  /// PsCreateSystemThread, arguments checked: a new thread that runs `routine(context)` once the
  /// scheduler seats it; returns its handle and fills `client_id` if given. IoCreateSystemThread
  /// gives `io_object`, which the thread keeps referenced until it ends.
  HANDLE Create(PKSTART_ROUTINE routine, PVOID context, PCLIENT_ID client_id,
                PVOID io_object = nullptr);
  /// The references IoCreateSystemThread's threads still hold to `io_object`: one per thread
  /// created for it that has not ended.
  LONG_PTR IoObjectReferences(const void* io_object) const;
  /// PsTerminateSystemThread: on a system thread it ends the thread and does not return;
  /// elsewhere STATUS_INVALID_PARAMETER (docs/kernel.md, "System threads").
  NTSTATUS Terminate(NTSTATUS status);
  /// Handles::Close's part for a thread handle (model/handles.hpp).
  void Close(HANDLE handle);
  /// ObReferenceObjectByHandle on a thread handle: the thread object with a new reference;
  /// `thread_type` false when the caller named a type other than the thread type
  /// (STATUS_OBJECT_TYPE_MISMATCH).
  NTSTATUS ReferenceByHandle(HANDLE handle, bool thread_type, PVOID* object);
  /// ObfReferenceObject / ObfDereferenceObject: the driver's references after the change.
  LONG_PTR Reference(const char* routine, PVOID object);
  /// `object_type`: what *PsThreadType points to, for the report of a reference not held.
  LONG_PTR Dereference(const char* routine, PVOID object, const void* object_type);

  /// The priority a system thread starts at: the System process's base priority, 8
  /// (UNCONFIRMED: Microsoft does not document PsCreateSystemThread's starting priority).
  static constexpr KPRIORITY kStartPriority = 8;
  /// KeQueryPriorityThread, and KeSetPriorityThread when `priority` is given (returns the old
  /// one). kemu records it for the driver to read back; the schedule does not follow priorities.
  KPRIORITY Priority(const char* routine, const void* object, std::optional<KPRIORITY> priority);

  /// The running system thread's object, or 0 when the running context is no system thread.
  std::uintptr_t Current() const;
  /// The running thread's identifier: a system thread's, or one per vCPU thread otherwise.
  HANDLE CurrentId() const;
  /// `object` is a thread object kemu made that a driver may still use (referenced or running).
  bool IsLiveObject(const void* object) const;
  /// Names the owner of a mutex or resource for reports: "the system thread 0x1000 (start routine
  /// ..., thread object ...)" when `thread` (Dispatcher::CurrentThread when it acquired) is a
  /// system thread's object, else "the thread on vCPU `cpu`" (its own, or a work item's worker).
  std::string DescribeOwner(std::uintptr_t thread, unsigned cpu) const;
  /// "the system thread 0x1000 (start routine ..., thread object ...)": thread `index`, as the
  /// reports that name a waiter, an owner or a spin lock's holder name it.
  std::string Describe(unsigned index) const;

  // The scheduler's hooks: thread `index` starts (Seat) or stops (Unseat) running on vCPU `cpu`.
  void Seat(unsigned index, unsigned cpu);
  void Unseat(unsigned index, unsigned cpu);

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;
  /// Threads created so far, ended ones included.
  std::size_t created() const { return threads_.size(); }

 private:
  struct Object {
    alignas(16) DISPATCHER_HEADER header;
    std::uint8_t rest[kObjectBytes - sizeof(DISPATCHER_HEADER)];
  };
  struct Thread {
    Object object{};
    PKSTART_ROUTINE routine = nullptr;
    PVOID context = nullptr;
    PVOID io_object = nullptr;  ///< IoCreateSystemThread's, referenced until the thread ends
    std::uintptr_t id = 0;      ///< its CLIENT_ID.UniqueThread
    unsigned handles = 0;       ///< open handles
    LONG_PTR references = 0;    ///< the driver's references (ObReferenceObject...)
    KPRIORITY priority = kStartPriority;
    bool ended = false;
    NTSTATUS exit_status = STATUS_PENDING;
    KIRQL irql = PASSIVE_LEVEL;            ///< its IRQL while it is off a vCPU
    Dispatcher::ThreadSlots slots;         ///< its per-thread state while it is off a vCPU
    KIRQL displaced_irql = PASSIVE_LEVEL;  ///< the vCPU's own thread's, while it is on one
  };
  /// Thrown by PsTerminateSystemThread to unwind the thread's stack to its start.
  struct Exit {
    NTSTATUS status;
  };

  void Run(unsigned index);
  /// The end of a thread: the checks Windows makes when a thread exits, then the object is
  /// signalled.
  void End(Thread& thread, NTSTATUS status);
  Thread* Find(const void* object);
  [[noreturn]] void NotModelledObject(const char* routine, const void* object);
  std::string Name(const Thread& thread) const;

  Kernel& kernel_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::map<std::uintptr_t, unsigned> handles_;  ///< open handle -> thread index
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_SYSTEM_THREADS_HPP_
