// System threads for the race detector: each is a logical thread of its own, whose contexts (its
// start routine's, and the ISRs and DPCs that preempt it) form a stack that travels with it from
// vCPU to vCPU (docs/concurrency.md, "Race detection").
#include <utility>

#include "race/detector.hpp"
#include "race/thread_stack.hpp"

namespace kemu::race {

void Detector::NoteSeatThread(const void* object, unsigned cpu, bool seated) {
  // One swap each way: seating puts the thread's stack in the vCPU's place and sets the vCPU's
  // aside (a work item blocked in the test's wait there stays the vCPU's); unseating undoes it.
  SetAside& aside = set_aside_[object];
  std::swap(stacks_.at(cpu), aside.stack);
  aside.seated = seated;
  aside.cpu = cpu;
  // Off its vCPU with no context (ended, or not begun): nothing to keep, and a later Seat makes
  // the same empty entry again. A driver that starts thread after thread keeps only the live ones.
  if (!seated && aside.stack.empty()) set_aside_.erase(object);
}

void Detector::NoteEndSystemThread(const void* object) {
  const auto it = set_aside_.find(object);
  if (it == set_aside_.end()) return;
  // Its stack is the vCPU's while it is seated; at teardown an unseated thread unwinds too.
  if (it->second.seated) {
    EndTop(stacks_.at(it->second.cpu));
    return;
  }
  EndTop(it->second.stack);
  if (it->second.stack.empty()) set_aside_.erase(it);
}

}  // namespace kemu::race
