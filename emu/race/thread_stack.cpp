#include "race/thread_stack.hpp"

namespace kemu::race {
namespace {

thread_local ThreadStack thread_own;
thread_local ThreadStack* context_own = nullptr;

}  // namespace

ThreadStack& CurrentThreadStack() { return context_own != nullptr ? *context_own : thread_own; }

void SetCurrentThreadStack(ThreadStack* stack) { context_own = stack; }

}  // namespace kemu::race
