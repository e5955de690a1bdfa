#include "verifier/lock_order.hpp"

#include <algorithm>
#include <deque>
#include <utility>

namespace kemu::verifier {
namespace {

void Erase(std::vector<std::uintptr_t>& from, std::uintptr_t lock) {
  from.erase(std::remove(from.begin(), from.end(), lock), from.end());
}

// Removes the newest entry for `lock` from `stack`; false when it holds none.
bool EraseNewest(std::vector<LockOrder::Held>& stack, std::uintptr_t lock) {
  auto it = std::find_if(stack.rbegin(), stack.rend(),
                         [lock](const LockOrder::Held& held) { return held.lock == lock; });
  if (it == stack.rend()) return false;
  stack.erase(std::next(it).base());
  return true;
}

}  // namespace

void LockOrder::AddEdge(std::uintptr_t before, std::uintptr_t after, Site site) {
  edges_.emplace(Key{before, after}, std::move(site));
  nodes_[before].after.push_back(after);
  nodes_[after].before.push_back(before);
}

std::optional<LockOrder::Cycle> LockOrder::FindCycle(std::uintptr_t from, std::uintptr_t to) const {
  if (nodes_.count(from) == 0 || nodes_.count(to) == 0) return std::nullopt;
  // Breadth first, so the report shows the shortest chain of recorded orders.
  std::unordered_map<std::uintptr_t, std::uintptr_t> reached_from{{from, from}};
  std::deque<std::uintptr_t> frontier{from};
  while (!frontier.empty() && reached_from.count(to) == 0) {
    const std::uintptr_t lock = frontier.front();
    frontier.pop_front();
    auto node = nodes_.find(lock);
    if (node == nodes_.end()) continue;
    for (std::uintptr_t next : node->second.after) {
      if (reached_from.emplace(next, lock).second) frontier.push_back(next);
    }
  }
  if (reached_from.count(to) == 0) return std::nullopt;
  Cycle cycle{.acquired = from, .held = to, .path = {}};
  for (std::uintptr_t lock = to; lock != from; lock = reached_from.at(lock)) {
    const std::uintptr_t previous = reached_from.at(lock);
    cycle.path.push_back(Edge{previous, lock, edges_.at(Key{previous, lock})});
  }
  std::reverse(cycle.path.begin(), cycle.path.end());
  return cycle;
}

void LockOrder::ReleasedOutOfOrder(std::uintptr_t lock, unsigned cpu) {
  // Search from the newest: nested locks are mostly released in reverse order. The releasing
  // vCPU's own stack first: another vCPU spinning on the lock has it on its stack already (its
  // order is checked before it spins), and that entry is not the one released.
  if (EraseNewest(HeldStack(cpu), lock)) return;
  for (std::vector<Held>& stack : held_) {
    if (EraseNewest(stack, lock)) return;
  }
}

void LockOrder::MutexReleased(std::uintptr_t thread, std::uintptr_t mutex) {
  const auto release_from = [&](auto holder) {
    if (!EraseNewest(holder->second, mutex)) return false;
    if (holder->second.empty()) thread_held_.erase(holder);
    return true;
  };
  // Its owner's stack; a release by another thread (a bug already reported) frees it all the same.
  if (auto own = thread_held_.find(thread); own != thread_held_.end() && release_from(own)) return;
  for (auto it = thread_held_.begin(); it != thread_held_.end(); ++it) {
    if (release_from(it)) return;  // the iterator is not used after an erase
  }
}

void LockOrder::ForgetEdges(std::uintptr_t lock) {
  auto found = nodes_.find(lock);
  if (found == nodes_.end()) return;
  const Node node = std::move(found->second);
  nodes_.erase(found);
  for (std::uintptr_t after : node.after) {
    edges_.erase(Key{lock, after});
    if (auto it = nodes_.find(after); it != nodes_.end()) Erase(it->second.before, lock);
  }
  for (std::uintptr_t before : node.before) {
    edges_.erase(Key{before, lock});
    if (auto it = nodes_.find(before); it != nodes_.end()) Erase(it->second.after, lock);
  }
}

void LockOrder::Reinitialized(std::uintptr_t lock) {
  ForgetEdges(lock);
  Released(lock);
}

void LockOrder::MutexReinitialized(std::uintptr_t mutex) {
  ForgetEdges(mutex);
  MutexReleased(0, mutex);
}

void LockOrder::ForgetRange(std::uintptr_t begin, std::uintptr_t end) {
  if (nodes_.empty()) return;  // the common case: no lock was ever taken with another held
  std::vector<std::uintptr_t> freed;
  const auto last = nodes_.lower_bound(end);
  for (auto it = nodes_.lower_bound(begin); it != last; ++it) freed.push_back(it->first);
  for (std::uintptr_t lock : freed) ForgetEdges(lock);
}

}  // namespace kemu::verifier
