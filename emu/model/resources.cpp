// Executive resources: owners, recursion, waiting in line, and the rules (docs/kernel.md,
// "Executive resources").
#include "model/resources.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

namespace {

/// What a resource routine needs at its Resource argument, as the invalid-object reports say it.
constexpr const char* kExpected = "an executive resource initialized by ExInitializeResourceLite";

}  // namespace

/// Keeps a waiter in its resource's line for as long as its context blocks, exceptions included.
/// The resource may be forgotten meanwhile (freed with its pool under kRecord): then there is no
/// line to leave.
class Resources::Queued {
 public:
  Queued(Resources& resources, std::uintptr_t address, Waiter& waiter)
      : resources_(resources), address_(address), waiter_(waiter) {
    resources_.resources_.at(address_).waiters.push_back(&waiter_);
  }
  ~Queued() {
    const auto it = resources_.resources_.find(address_);
    if (it != resources_.resources_.end()) it->second.waiters.remove(&waiter_);
  }
  Queued(const Queued&) = delete;
  Queued& operator=(const Queued&) = delete;

 private:
  Resources& resources_;
  std::uintptr_t address_;
  Waiter& waiter_;
};

void Resources::Initialize(const char* routine, PERESOURCE resource, bool again) {
  CheckIrql(routine, DISPATCH_LEVEL);
  const auto address = reinterpret_cast<std::uintptr_t>(resource);
  if (again) {
    Find(routine, resource);
  } else if (resources_.count(address) != 0) {
    kernel_.verifier().ResourceReinitialized(routine, resource);
  }
  // A fresh resource: whatever held or waited for the old one no longer does.
  resources_[address] = State{};
  kernel_.race().ObjectInitialized(resource);
  kernel_.race().LockInitialized(resource, "executive resource");
}

void Resources::Delete(const char* routine, PERESOURCE resource) {
  CheckIrql(routine, APC_LEVEL);
  const auto it = resources_.find(reinterpret_cast<std::uintptr_t>(resource));
  if (it == resources_.end()) {
    // Memory the driver freed holds no resource: the report names the free, as Find's does.
    RejectIfInFreedPool(kernel_, routine, kExpected, resource);
    kernel_.verifier().DeleteUninitializedResource(routine, resource);
  }
  if (!it->second.owners.empty()) {
    kernel_.verifier().ResourceDeletedWhileOwned(routine, resource,
                                                 it->second.owners.front().thread);
  }
  resources_.erase(it);
}

bool Resources::Acquire(const char* routine, PERESOURCE resource, bool exclusive, bool wait,
                        bool starve_exclusive) {
  State& state = Find(routine, resource);
  CheckIrql(routine, APC_LEVEL);
  CheckApcsDisabled(routine, resource, /*acquiring=*/true);
  // ExInitializeResourceLite's page: 8-byte aligned on 64-bit platforms.
  if (exclusive && reinterpret_cast<std::uintptr_t>(resource) % 8 != 0) {
    kernel_.verifier().UnalignedResource(routine, resource);
  }
  if (Owner* owner = OwnerOf(state, kernel_.dispatcher().CurrentThread())) {
    // An owner acquires again in the way it owns it; an exclusive owner may ask for shared.
    if (state.exclusive || !exclusive) {
      ++owner->count;
      return true;
    }
    // Shared only, asking for exclusive: it would wait for its own hold to go.
    if (!wait) return false;
    kernel_.verifier().ResourceExclusiveBySharedOwner(routine, resource,
                                                      kernel_.scheduler().DescribeContexts());
  }
  if (Available(state, exclusive, starve_exclusive)) {
    Take(resource, state, exclusive, routine);
    return true;
  }
  if (!wait) return false;
  WaitInLine(routine, resource, state, exclusive);
  return true;
}

void Resources::ConvertToShared(const char* routine, PERESOURCE resource) {
  State& state = Find(routine, resource);
  CheckIrql(routine, APC_LEVEL);
  const std::uintptr_t thread = kernel_.dispatcher().CurrentThread();
  if (!state.exclusive || OwnerOf(state, thread) == nullptr) {
    kernel_.verifier().ResourceConvertedByNonOwner(routine, resource, thread);
  }
  // What the exclusive owner did happens before the shared owners it lets in, who may now run
  // beside it.
  RaceRelease(resource, /*exclusive=*/true);
  kernel_.race().Acquire(resource);
  state.exclusive = false;
  HandOn(state);
  kernel_.scheduler().Point();
}

void Resources::Release(const char* routine, PERESOURCE resource, std::uintptr_t thread) {
  State& state = Find(routine, resource);
  CheckIrql(routine, DISPATCH_LEVEL);
  const bool for_current = thread == 0;
  if (for_current) thread = kernel_.dispatcher().CurrentThread();
  // A system thread (kemu: a work item's worker) may release for a thread with APCs enabled.
  if (for_current || !kernel_.dispatcher().InWorkerThread()) {
    CheckApcsDisabled(routine, resource, /*acquiring=*/false);
  }
  Owner* owner = OwnerOf(state, thread);
  if (owner == nullptr) kernel_.verifier().ResourceNotOwned(routine, resource, thread);
  if (--owner->count > 0) return;
  const bool exclusive = state.exclusive;
  // A release for another thread publishes what this context did (the owner's work reaches the
  // next owner through whatever made this context release it); the owner's lockset is its own.
  RaceRelease(resource, exclusive && thread == kernel_.dispatcher().CurrentThread());
  state.owners.erase(state.owners.begin() + (owner - state.owners.data()));
  if (state.owners.empty()) {
    state.exclusive = false;
    HandOn(state);
  }
  // A thread handed the resource on another vCPU may run now.
  kernel_.scheduler().Point();
}

bool Resources::IsAcquiredExclusive(const char* routine, PERESOURCE resource) {
  State& state = Find(routine, resource);
  CheckIrql(routine, DISPATCH_LEVEL);
  return state.exclusive && OwnerOf(state, kernel_.dispatcher().CurrentThread()) != nullptr;
}

ULONG Resources::AcquiredCount(const char* routine, PERESOURCE resource) {
  State& state = Find(routine, resource);
  CheckIrql(routine, DISPATCH_LEVEL);
  const Owner* owner = OwnerOf(state, kernel_.dispatcher().CurrentThread());
  return owner == nullptr ? 0 : owner->count;
}

ULONG Resources::WaiterCount(const char* routine, PERESOURCE resource, bool exclusive) {
  const State& state = Find(routine, resource);
  CheckIrql(routine, DISPATCH_LEVEL);
  return static_cast<ULONG>(std::count_if(
      state.waiters.begin(), state.waiters.end(),
      [exclusive](const Waiter* w) { return !w->granted && w->exclusive == exclusive; }));
}

void Resources::Freed(const char* routine, const void* begin, std::uint64_t bytes) {
  const auto first = resources_.lower_bound(reinterpret_cast<std::uintptr_t>(begin));
  const auto last = resources_.lower_bound(reinterpret_cast<std::uintptr_t>(begin) + bytes);
  if (first == last) return;  // the common case: no resource in the block
  kernel_.verifier().ResourceInFreedPool(routine, reinterpret_cast<const void*>(first->first),
                                         begin, bytes);
  resources_.erase(first, last);
}

std::vector<std::string> Resources::DescribeHeld() const {
  std::vector<std::string> lines;
  for (const auto& [address, state] : resources_) {
    for (const Owner& owner : state.owners) {
      lines.push_back(fmt::format(
          "the executive resource at {:#x} is still held {} by {} ({}, {} acquisition(s))", address,
          state.exclusive ? "exclusively" : "shared",
          kernel_.system_threads().DescribeOwner(owner.thread, owner.cpu), owner.routine,
          owner.count));
    }
  }
  return lines;
}

std::uintptr_t Resources::FirstHeld() const {
  for (const auto& [address, state] : resources_) {
    if (!state.owners.empty()) return address;
  }
  return 0;
}

Resources::State& Resources::Find(const char* routine, PERESOURCE resource) {
  kernel_.verifier().Dereferenced(routine, resource, "Resource");
  const auto it = resources_.find(reinterpret_cast<std::uintptr_t>(resource));
  if (it == resources_.end()) {
    RejectInvalidObject(kernel_, routine, kExpected, resource);
  }
  return it->second;
}

void Resources::CheckIrql(const char* routine, KIRQL maximum) const {
  const KIRQL irql = kernel_.irql().Current();
  if (irql <= maximum) return;
  kernel_.verifier().IrqlAboveMaximum(routine, irql, maximum,
                                      maximum == APC_LEVEL ? verifier_code::kIrqlExApcLte3 : 0);
}

void Resources::CheckApcsDisabled(const char* routine, PERESOURCE resource, bool acquiring) const {
  const KIRQL irql = kernel_.irql().Current();
  if (kernel_.dispatcher().ApcsDisabled(kernel_.current_processor(), irql)) return;
  kernel_.verifier().ResourceWithApcsEnabled(routine, resource, irql, acquiring);
}

Resources::Owner* Resources::OwnerOf(State& state, std::uintptr_t thread) {
  const auto it = std::find_if(state.owners.begin(), state.owners.end(),
                               [thread](const Owner& owner) { return owner.thread == thread; });
  return it == state.owners.end() ? nullptr : &*it;
}

bool Resources::ExclusiveWaiting(const State& state) {
  return std::any_of(state.waiters.begin(), state.waiters.end(),
                     [](const Waiter* w) { return !w->granted && w->exclusive; });
}

bool Resources::Available(const State& state, bool exclusive, bool starve_exclusive) {
  if (state.owners.empty()) return true;
  // Held shared: another shared owner joins unless a thread waits for exclusive access (which
  // ExAcquireSharedStarveExclusive ignores).
  return !exclusive && !state.exclusive && (starve_exclusive || !ExclusiveWaiting(state));
}

void Resources::Take(PERESOURCE resource, State& state, bool exclusive, const char* routine) {
  state.exclusive = exclusive;
  state.owners.push_back({.thread = kernel_.dispatcher().CurrentThread(),
                          .cpu = kernel_.current_processor(),
                          .count = 1,
                          .routine = routine});
  RaceTake(resource, exclusive);
}

void Resources::WaitInLine(const char* routine, PERESOURCE resource, State& state, bool exclusive) {
  const auto address = reinterpret_cast<std::uintptr_t>(resource);
  Waiter waiter{.thread = kernel_.dispatcher().CurrentThread(),
                .cpu = kernel_.current_processor(),
                .exclusive = exclusive,
                .routine = routine};
  const Queued queued(*this, address, waiter);
  kernel_.dispatcher().BlockUntil(
      {.ready = [&waiter] { return waiter.granted; },
       .what = fmt::format("{} access to the executive resource at {} in {} (held {} by {})",
                           exclusive ? "exclusive" : "shared", static_cast<void*>(resource),
                           routine, state.exclusive ? "exclusively" : "shared",
                           state.owners.empty()
                               ? std::string("nobody")
                               : kernel_.system_threads().DescribeOwner(
                                     state.owners.front().thread, state.owners.front().cpu))});
  // The releaser made this thread an owner; what it did before happens before what this does.
  RaceTake(resource, exclusive);
}

void Resources::HandOn(State& state) {
  for (Waiter* waiter : state.waiters) {
    if (waiter->granted) continue;
    if (!state.owners.empty() && (state.exclusive || waiter->exclusive)) continue;
    if (waiter->exclusive) {
      Grant(state, *waiter);
      return;  // an exclusive owner admits no one else
    }
    Grant(state, *waiter);  // every shared waiter, at once
  }
}

void Resources::Grant(State& state, Waiter& waiter) {
  state.exclusive = waiter.exclusive;
  state.owners.push_back(
      {.thread = waiter.thread, .cpu = waiter.cpu, .count = 1, .routine = waiter.routine});
  waiter.granted = true;
}

void Resources::RaceTake(PERESOURCE resource, bool exclusive) {
  kernel_.race().Acquire(resource);
  if (exclusive) kernel_.race().LockAcquired(resource);
}

void Resources::RaceRelease(PERESOURCE resource, bool exclusive) {
  kernel_.race().Release(resource);
  if (exclusive) kernel_.race().LockReleased(resource);
}

}  // namespace kemu::model
