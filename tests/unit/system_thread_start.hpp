// Starting a system thread as a driver's start path does, for tests: PsCreateSystemThread, the
// thread object referenced through the handle (ObReferenceObjectByHandle), the handle closed.
#ifndef KEMU_TESTS_UNIT_SYSTEM_THREAD_START_HPP_
#define KEMU_TESTS_UNIT_SYSTEM_THREAD_START_HPP_

#include <wdm.h>

namespace kemu::testing {

/// The new thread's object, referenced (ObDereferenceObject it when done with it), or nullptr
/// when creating or referencing it failed.
inline PVOID StartSystemThread(PKSTART_ROUTINE routine, PVOID context) {
  HANDLE handle = nullptr;
  if (!NT_SUCCESS(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                       routine, context))) {
    return nullptr;
  }
  PVOID thread = nullptr;
  // ::KernelMode: the WDK's MODE, not the type kemu::KernelMode this namespace would find.
  const NTSTATUS status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType,
                                                    ::KernelMode, &thread, nullptr);
  ZwClose(handle);
  return NT_SUCCESS(status) ? thread : nullptr;
}

}  // namespace kemu::testing

#endif  // KEMU_TESTS_UNIT_SYSTEM_THREAD_START_HPP_
