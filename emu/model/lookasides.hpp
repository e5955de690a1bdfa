// Lookaside lists: the driver's NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST and LOOKASIDE_LIST_EX
// structures hold the cached entries and counters as on Windows; the model remembers which
// structures are live lists (initialised, not deleted) and of what kind, checks the IRQL of each
// call, and calls the list's Allocate and Free routines as the kernel would.
#ifndef KEMU_EMU_MODEL_LOOKASIDES_HPP_
#define KEMU_EMU_MODEL_LOOKASIDES_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

enum class LookasideKind { kNonPaged, kPaged, kEx };

class Lookasides {
 public:
  /// The depth a new list caches up to (ExMinimumLookasideDepth) and the most the kernel's
  /// balancing would let it grow to. kemu does not balance, so a list keeps the minimum.
  static constexpr USHORT kDepth = 4;
  static constexpr USHORT kMaximumDepth = 256;

  explicit Lookasides(Kernel& kernel) : kernel_(kernel) {}

  /// Fills the common body (the routine has chosen Allocate/Free and the pool type) and records
  /// the list as live. A list initialised again while live starts over; what it cached stays
  /// allocated.
  void Initialize(const char* routine, void* list, GENERAL_LOOKASIDE_POOL& body, LookasideKind kind,
                  POOL_TYPE type, SIZE_T size, ULONG tag);
  /// A cached entry, else one from the list's Allocate routine (NULL when that fails).
  void* Allocate(const char* routine, void* list, LookasideKind kind);
  /// Caches `entry`, or hands it to the Free routine when the list holds kDepth entries.
  void Free(const char* routine, void* list, LookasideKind kind, void* entry);
  /// Hands every cached entry to the Free routine.
  void Flush(const char* routine, void* list, LookasideKind kind);
  /// Flush, then forget the list.
  void Delete(const char* routine, void* list, LookasideKind kind);

  /// Pool::Free asks before it frees a block: an entry a live list still caches was freed
  /// already, to the list. Reports the double free and returns true (a kernel that carries on
  /// frees nothing); false when no cached entry lies in [block, block + bytes).
  bool FreeingCachedEntry(const char* routine, const void* block, SIZE_T bytes);

  /// Pool::Free of [block, block + bytes): a live list in it is reported (0xCC under Verifier,
  /// Vista+) and forgotten; what it cached stays allocated.
  void Freed(const char* routine, const void* block, SIZE_T bytes);

  bool IsLive(const void* list) const { return live_.count(list) != 0; }
  /// One line per list never deleted, oldest first.
  std::vector<std::string> DescribeLive() const;
  std::uintptr_t FirstLive() const;

 private:
  struct List {
    LookasideKind kind;
    const char* routine;
    std::uint64_t sequence;
    ULONG size;
    ULONG tag;
    /// The entries on the list, as kemu pushed them: a second free of one of them, to the list
    /// or to pool, is caught where the driver makes it, so the list never links an entry that
    /// is not its own and kemu never follows a link out of freed memory.
    std::vector<const void*> cached;
  };

  GENERAL_LOOKASIDE_POOL& Check(const char* routine, void* list, LookasideKind kind, KIRQL maximum);
  void FreeToRoutine(void* list, LookasideKind kind, GENERAL_LOOKASIDE_POOL& body, void* entry);
  /// The list's header and cached entries link as kemu left them (LookasideEntryChanged if not),
  /// so popping or flushing follows no link the driver wrote.
  void CheckCachedLinks(const char* routine, void* list, const GENERAL_LOOKASIDE_POOL& body);

  Kernel& kernel_;
  std::map<const void*, List> live_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_LOOKASIDES_HPP_
