#include "race/symbolize.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

namespace kemu::race {

namespace {

/// The first of `names` found on PATH.
std::optional<std::string> FindTool(const std::vector<std::string>& names) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (const std::string& name : names) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

std::string Quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// Position-independent files (ET_DYN: shared objects, PIE programs) are symbolised by offset
/// from their load address; fixed-address programs (ET_EXEC) by the address itself.
bool IsPositionIndependent(const char* file) {
  std::ifstream in(file, std::ios::binary);
  std::array<unsigned char, 18> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return true;
  if (std::memcmp(header.data(),
                  "\x7f"
                  "ELF",
                  4) != 0)
    return true;
  const unsigned type = header[5] == 1 ? header[16] | (header[17] << 8u)   // little endian
                                       : (header[16] << 8u) | header[17];  // big endian
  return type != 2;                                                        // ET_EXEC
}

std::vector<std::string> Run(const std::string& command) {
  std::vector<std::string> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return lines;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    std::string line = buffer.data();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines.push_back(std::move(line));
  }
  pclose(pipe);
  return lines;
}

/// {function, "file:line"} for each of `offsets` in `file`, or empty strings where unknown.
std::vector<std::pair<std::string, std::string>> Symbolize(
    const char* file, const std::vector<std::uintptr_t>& offsets) {
  static const std::optional<std::string> addr2line = FindTool({"addr2line"});
  static const std::optional<std::string> llvm =
      FindTool({"llvm-symbolizer", "llvm-symbolizer-18", "llvm-symbolizer-17", "llvm-symbolizer-16",
                "llvm-symbolizer-15", "llvm-symbolizer-14"});
  std::vector<std::pair<std::string, std::string>> out(offsets.size());
  std::string addresses;
  for (std::uintptr_t offset : offsets) addresses += fmt::format(" 0x{:x}", offset);
  std::vector<std::string> lines;
  std::size_t stride = 2;
  if (addr2line) {
    lines = Run(
        fmt::format("{} -f -C -e {}{} 2>/dev/null", Quoted(*addr2line), Quoted(file), addresses));
  } else if (llvm) {
    // A blank line ends each address's answer.
    stride = 3;
    lines = Run(fmt::format("{} --obj={} --functions=short --demangle --no-inlines{} 2>/dev/null",
                            Quoted(*llvm), Quoted(file), addresses));
  }
  for (std::size_t i = 0; i < offsets.size() && (i * stride + 1) < lines.size(); ++i) {
    std::string function = lines[i * stride];
    std::string location = lines[i * stride + 1];
    // addr2line may add " (discriminator 2)"; llvm-symbolizer adds a column.
    if (const auto space = location.find(" ("); space != std::string::npos) location.resize(space);
    const bool no_line = location.size() >= 2 && location.ends_with(":0");
    if (location.rfind("??", 0) == 0 || no_line) location.clear();
    // "/build/dev/../../src/x.c:12" reads as "/src/x.c:12".
    if (const auto colon = location.rfind(':'); colon != std::string::npos && colon > 0) {
      location = std::filesystem::path(location.substr(0, colon)).lexically_normal().string() +
                 location.substr(colon);
    }
    if (function == "??") function.clear();
    out[i] = {std::move(function), std::move(location)};
  }
  return out;
}

}  // namespace

std::map<std::uintptr_t, CodeName> NameCode(const std::vector<std::uintptr_t>& addresses) {
  std::map<std::uintptr_t, CodeName> names;
  // Grouped by module: one symbolizer run for each.
  std::map<std::string, std::vector<std::pair<std::uintptr_t, std::uintptr_t>>> modules;
  for (std::uintptr_t address : addresses) {
    if (address == 0 || names.count(address) != 0) continue;
    CodeName& name = names[address];
    name.location = fmt::format("0x{:x}", address);
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(address), &info) == 0 || info.dli_fname == nullptr) {
      continue;
    }
    if (info.dli_sname != nullptr) {
      name.function = info.dli_sname;
      name.location = fmt::format("{}+0x{:x}", info.dli_fname,
                                  address - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
    }
#if !defined(__APPLE__)
    const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    modules[info.dli_fname].emplace_back(
        address, IsPositionIndependent(info.dli_fname) ? address - base : address);
#endif
  }
  for (const auto& [file, wanted] : modules) {
    std::vector<std::uintptr_t> offsets;
    for (const auto& entry : wanted) offsets.push_back(entry.second);
    const auto symbols = Symbolize(file.c_str(), offsets);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      CodeName& name = names[wanted[i].first];
      if (!symbols[i].first.empty()) name.function = symbols[i].first;
      if (!symbols[i].second.empty()) name.location = symbols[i].second;
    }
  }
  return names;
}

std::string Describe(const CodeName& name) {
  if (name.function.empty()) return name.location;
  return fmt::format("{} in {}", name.location, name.function);
}

}  // namespace kemu::race
