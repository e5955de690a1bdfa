#include "race/symbol_table.hpp"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <vector>

#if !defined(__APPLE__)
#include <elf.h>
#endif

namespace kemu::race {

namespace {

std::string Demangled(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(name);
}

#if !defined(__APPLE__)
template <typename T>
bool ReadAt(std::ifstream& in, std::uint64_t offset, T* out, std::size_t count = 1) {
  in.seekg(static_cast<std::streamoff>(offset));
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out), sizeof(T) * count));
}

/// The FUNC symbol of `file`, loaded at `base`, that covers `address`.
std::string FromSymbolTable(const char* file, std::uintptr_t base, std::uintptr_t address) {
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr header{};
  if (!ReadAt(in, 0, &header) || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(Elf64_Shdr)) {
    return "";
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (sections.empty() || !ReadAt(in, header.e_shoff, sections.data(), sections.size())) return "";
  // A PIE program or shared object (ET_DYN) gives symbol values relative to its load address.
  const std::uintptr_t wanted = header.e_type == ET_DYN ? address - base : address;
  for (const Elf64_Shdr& table : sections) {
    if (table.sh_type != SHT_SYMTAB || table.sh_link >= sections.size()) continue;
    std::vector<Elf64_Sym> symbols(table.sh_size / sizeof(Elf64_Sym));
    if (symbols.empty() || !ReadAt(in, table.sh_offset, symbols.data(), symbols.size())) continue;
    for (const Elf64_Sym& symbol : symbols) {
      if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || wanted < symbol.st_value ||
          wanted >= symbol.st_value + symbol.st_size) {
        continue;
      }
      char name[512] = {};
      in.clear();
      in.seekg(static_cast<std::streamoff>(sections[table.sh_link].sh_offset + symbol.st_name));
      in.read(name, sizeof name - 1);
      return Demangled(name);
    }
  }
  return "";
}
#endif

}  // namespace

std::string FunctionNameAt(std::uintptr_t address) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(address), &info) == 0 || info.dli_fname == nullptr) return "";
  if (info.dli_sname != nullptr && info.dli_saddr == reinterpret_cast<void*>(address)) {
    return Demangled(info.dli_sname);
  }
#if defined(__APPLE__)
  return "";
#else
  return FromSymbolTable(info.dli_fname, reinterpret_cast<std::uintptr_t>(info.dli_fbase), address);
#endif
}

}  // namespace kemu::race
