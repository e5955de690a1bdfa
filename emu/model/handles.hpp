// Kernel handles: one numbering for every object a driver holds a handle to (system threads,
// registry keys), so that ZwClose and ObReferenceObjectByHandle find what a handle names whatever
// kind it is. Each area keeps its own state per handle; this table only hands out the values and
// remembers each one's kind.
#ifndef KEMU_EMU_MODEL_HANDLES_HPP_
#define KEMU_EMU_MODEL_HANDLES_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <optional>

namespace kemu::model {

class Kernel;

enum class HandleKind : std::uint8_t { kThread, kRegistryKey };

class Handles {
 public:
  explicit Handles(Kernel& kernel) : kernel_(kernel) {}
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;

  /// A new handle of `kind`. Kernel handles are pointer-sized values with the top bit set (from
  /// Vista on; kemu uses one form for every release), multiples of four as Windows' are, never
  /// reused within a machine.
  HANDLE Open(HandleKind kind);
  /// The kind of the open handle `handle`, or nullopt when it is not open.
  std::optional<HandleKind> KindOf(HANDLE handle) const;
  /// ZwClose: the area that owns the handle lets go of it, then the handle is gone.
  /// STATUS_INVALID_HANDLE for a handle kemu never gave out or one already closed.
  NTSTATUS Close(HANDLE handle);

 private:
  Kernel& kernel_;
  std::map<std::uintptr_t, HandleKind> open_;
  std::uintptr_t next_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_HANDLES_HPP_
