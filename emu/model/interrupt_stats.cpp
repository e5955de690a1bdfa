// Connection statistics computed on demand from the interrupt controller's state.
#include "model/interrupts.hpp"

namespace kemu::model {

std::uint32_t Interrupts::PendingCount(const ConnectionRecord& record) const {
  std::uint32_t pending = 0;
  for (ULONG vector : record.vectors) {
    auto it = vectors_.find(vector);
    if (it != vectors_.end() && Pending(vector, it->second)) ++pending;
  }
  return pending;
}

}  // namespace kemu::model
