#include "race/thread_stack.hpp"

namespace kemu::race {

ThreadStack& CurrentThreadStack() {
  thread_local ThreadStack stack;
  return stack;
}

}  // namespace kemu::race
