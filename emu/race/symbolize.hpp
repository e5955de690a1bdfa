// Names for code addresses in race reports: source file, line and function from the driver's debug
// information (addr2line or llvm-symbolizer, when one is on PATH), else the nearest exported
// symbol (dladdr), else the bare address. One symbolizer run per module and report.
#ifndef KEMU_EMU_RACE_SYMBOLIZE_HPP_
#define KEMU_EMU_RACE_SYMBOLIZE_HPP_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kemu::race {

struct CodeName {
  std::string function;  ///< "NicServiceInterrupt", or "" when unknown
  std::string location;  ///< "/src/nic_interrupt.c:43", or a module and offset, or the address
};

/// Names every address in one go.
std::map<std::uintptr_t, CodeName> NameCode(const std::vector<std::uintptr_t>& addresses);

/// "nic_interrupt.c:43 in NicServiceInterrupt".
std::string Describe(const CodeName& name);

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_SYMBOLIZE_HPP_
