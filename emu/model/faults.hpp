// Fault injection: make chosen calls of a kernel routine fail with a chosen status, reproducibly
// (the machine's seeded PRNG decides probabilistic faults).
#ifndef KEMU_EMU_MODEL_FAULTS_HPP_
#define KEMU_EMU_MODEL_FAULTS_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kemu/machine.hpp"
#include "personality/export_manifest.hpp"

namespace kemu::model {

class Prng;

/// Routines a driver reaches through a table it was handed rather than by name (a DMA adapter's
/// operations): a Fault names them as it names an export.
enum class TableRoutine : std::uint8_t { kAllocateCommonBuffer };

class Faults {
 public:
  explicit Faults(Prng& prng) : prng_(prng) {}

  /// Arms `fault`; throws kemu::Error for a routine that has no failure status to inject.
  void Add(const Fault& fault);
  /// Called by a routine that can fail, on every call: the status to return instead of running.
  /// `tag` is the pool tag of an allocation (0 for other routines): a fault armed with a tag
  /// sees only the calls that allocate with it.
  std::optional<NTSTATUS> Check(personality::ExportId routine, std::uint32_t tag = 0) {
    return CheckKey(static_cast<Key>(routine), tag);
  }
  std::optional<NTSTATUS> Check(TableRoutine routine) { return CheckKey(KeyOf(routine), 0); }

  /// Routines whose failure can be injected (they return an NTSTATUS or a pointer that may be
  /// NULL).
  static bool CanFail(personality::ExportId routine);
  /// Routines whose faults can be narrowed to one pool tag.
  static bool IsPoolAllocator(personality::ExportId routine);

 private:
  /// An export's id, or a table routine's number after the last export.
  using Key = std::uint16_t;
  static constexpr Key KeyOf(TableRoutine routine) {
    return static_cast<Key>(static_cast<Key>(personality::ExportId::kCount) +
                            static_cast<Key>(routine));
  }
  std::optional<NTSTATUS> CheckKey(Key routine, std::uint32_t tag);
  /// Arms `fault` on `routine` once its name, tag and status are known to be valid.
  void AddChecked(const Fault& fault, Key routine);

  struct Armed {
    Fault fault;
    Key routine;
    std::uint64_t calls = 0;   ///< calls of the routine seen since arming
    std::uint64_t failed = 0;  ///< calls made to fail
  };

  Prng& prng_;
  std::vector<Armed> armed_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_FAULTS_HPP_
