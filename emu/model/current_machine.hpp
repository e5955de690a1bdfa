// Which machine the calling thread's kernel calls go to: the only mutable global state kemu has
// (docs/decisions.md, decision 7). Machine's constructor and destructor set it, and the scheduler
// swaps it when a vCPU's context starts or stops running (model/scheduler.hpp).
//
// Declared here, not behind Machine::CurrentOrNull(), because every export reads it first
// (abi/entry.hpp): constinit lets that read be a plain thread-local load, with no call.
#ifndef KEMU_EMU_MODEL_CURRENT_MACHINE_HPP_
#define KEMU_EMU_MODEL_CURRENT_MACHINE_HPP_

namespace kemu {

class Machine;

namespace model {

extern thread_local constinit Machine* current_machine;

}  // namespace model
}  // namespace kemu

#endif  // KEMU_EMU_MODEL_CURRENT_MACHINE_HPP_
