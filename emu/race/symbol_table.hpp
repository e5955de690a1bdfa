// The name of the function at a code address from its module's ELF symbol table: what a report
// needs to name a driver routine (an ISR) without the cost of a symbolizer process and its debug
// information, which race reports pay for source lines (race/symbolize.hpp).
#ifndef KEMU_EMU_RACE_SYMBOL_TABLE_HPP_
#define KEMU_EMU_RACE_SYMBOL_TABLE_HPP_

#include <cstdint>
#include <string>

namespace kemu::race {

/// "CapLineIsr" (demangled for C++), or "" when the module has no symbol table entry for it
/// (stripped, or a platform without ELF).
std::string FunctionNameAt(std::uintptr_t address);

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_SYMBOL_TABLE_HPP_
