// The ExInterlocked*List and SLIST operations. The list itself lives in driver memory; what the
// model adds is the spin lock the caller names, taken and dropped through SpinLocks so every
// ownership rule applies (a lock the caller already holds is a recursive acquire), and the IRQL
// left untouched (IL-4, IL-7).
#ifndef KEMU_EMU_MODEL_INTERLOCKED_LISTS_HPP_
#define KEMU_EMU_MODEL_INTERLOCKED_LISTS_HPP_

#include <wdm.h>

namespace kemu::model {

class Kernel;

class InterlockedLists {
 public:
  explicit InterlockedLists(Kernel& kernel) : kernel_(kernel) {}

  /// Returns the previous first (at_head) or last entry, nullptr when the list was empty (IL-6).
  PLIST_ENTRY Insert(const char* routine, PLIST_ENTRY head, PLIST_ENTRY entry, PKSPIN_LOCK lock,
                     bool at_head);
  /// nullptr on an empty list (IL-6).
  PLIST_ENTRY RemoveHead(const char* routine, PLIST_ENTRY head, PKSPIN_LOCK lock);
  /// Returns the previous first entry (IL-7).
  PSINGLE_LIST_ENTRY Push(const char* routine, PSINGLE_LIST_ENTRY head, PSINGLE_LIST_ENTRY entry,
                          PKSPIN_LOCK lock);
  PSINGLE_LIST_ENTRY Pop(const char* routine, PSINGLE_LIST_ENTRY head, PKSPIN_LOCK lock);

  /// IL-3: returns the value before the addition.
  ULONG AddUlong(PULONG addend, ULONG increment, PKSPIN_LOCK lock);
  LARGE_INTEGER AddLargeInteger(PLARGE_INTEGER addend, LARGE_INTEGER increment, PKSPIN_LOCK lock);

  // Sequenced lists: no lock, any IRQL.
  PSLIST_ENTRY PushSList(const char* routine, PSLIST_HEADER head, PSLIST_ENTRY entry);
  PSLIST_ENTRY PopSList(const char* routine, PSLIST_HEADER head);
  PSLIST_ENTRY FlushSList(const char* routine, PSLIST_HEADER head);
  USHORT DepthSList(const char* routine, PSLIST_HEADER head);

 private:
  /// `link`, read from the list, can be followed: a kernel following a null, poisoned (IL-6) or
  /// non-canonical link faults, which kemu reports (0x1E) instead of following it.
  void CheckReadable(const char* routine, PLIST_ENTRY head, PLIST_ENTRY link);
  /// Windows 8 and later check the links a change touches before making it and stop with 0x139
  /// KERNEL_SECURITY_CHECK_FAILURE / 3 when they disagree (an entry inserted twice, or used after
  /// its removal); earlier kernels follow them. `holds`: the links agree.
  void CheckConsistent(const char* routine, PLIST_ENTRY head, PLIST_ENTRY entry, bool holds);
  void Lock(const char* routine, PKSPIN_LOCK lock);
  void Unlock(const char* routine, PKSPIN_LOCK lock);
  void CheckHead(const char* routine, const void* head);
  /// Also the 16-byte alignment the x64 compare-exchange of Push, Pop and Flush needs.
  void CheckSListHead(const char* routine, const void* head);

  Kernel& kernel_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_INTERLOCKED_LISTS_HPP_
