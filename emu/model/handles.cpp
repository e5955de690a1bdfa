// One table of kernel handles for every kind of object (model/handles.hpp).
#include "model/handles.hpp"

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr std::uintptr_t kFirstHandle = 0xFFFFFFFF80000004ull;

}  // namespace

HANDLE Handles::Open(HandleKind kind) {
  const std::uintptr_t handle = kFirstHandle + 4 * next_++;
  open_[handle] = kind;
  return reinterpret_cast<HANDLE>(handle);
}

std::optional<HandleKind> Handles::KindOf(HANDLE handle) const {
  const auto found = open_.find(reinterpret_cast<std::uintptr_t>(handle));
  if (found == open_.end()) return std::nullopt;
  return found->second;
}

NTSTATUS Handles::Close(HANDLE handle) {
  const auto found = open_.find(reinterpret_cast<std::uintptr_t>(handle));
  if (found == open_.end()) {
    kernel_.verifier().InvalidHandleClosed("ZwClose", handle);
    return STATUS_INVALID_HANDLE;  // recorded, not thrown (BugCheckAction::kRecord)
  }
  switch (found->second) {
    case HandleKind::kThread:
      kernel_.system_threads().Close(handle);
      break;
    case HandleKind::kRegistryKey:
      kernel_.registry_keys().Close(handle);
      break;
  }
  open_.erase(found);
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
