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

// "/build/dev/../../src/x.c:12" reads as "/src/x.c:12"; unknown ("??:0", "x.c:0") is empty.
std::string CleanLocation(std::string location) {
  // addr2line may add " (discriminator 2)"; llvm-symbolizer adds a column, dropped here.
  if (const auto space = location.find(" ("); space != std::string::npos) location.resize(space);
  const auto is_number = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (const auto last = location.rfind(':'); last != std::string::npos && last > 0) {
    const auto before = location.rfind(':', last - 1);
    if (before != std::string::npos && is_number(std::string_view(location).substr(last + 1)) &&
        is_number(std::string_view(location).substr(before + 1, last - before - 1))) {
      location.resize(last);
    }
  }
  const bool no_line = location.size() >= 2 && location.ends_with(":0");
  if (location.rfind("??", 0) == 0 || no_line) return {};
  if (const auto colon = location.rfind(':'); colon != std::string::npos && colon > 0) {
    location = std::filesystem::path(location.substr(0, colon)).lexically_normal().string() +
               location.substr(colon);
  }
  return location;
}

bool IsAddressLine(const std::string& line) {
  return line.size() > 2 && line.rfind("0x", 0) == 0 &&
         line.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos;
}

/// {function, "file:line"} for each of `offsets` in `file`, or empty strings where unknown. Code
/// inlined into another function (a WDK header's inline routine, a small helper) is named where
/// it is, followed by the functions it was inlined into and where: a report then shows the
/// driver's own line too (audit round 19, C4).
std::vector<std::pair<std::string, std::string>> Symbolize(
    const char* file, const std::vector<std::uintptr_t>& offsets) {
  static const std::optional<std::string> addr2line = FindTool({"addr2line"});
  static const std::optional<std::string> llvm =
      FindTool({"llvm-symbolizer", "llvm-symbolizer-18", "llvm-symbolizer-17", "llvm-symbolizer-16",
                "llvm-symbolizer-15", "llvm-symbolizer-14"});
  std::string addresses;
  for (std::uintptr_t offset : offsets) addresses += fmt::format(" 0x{:x}", offset);
  // Each address's frames, innermost first: {function, location} pairs. llvm-symbolizer first:
  // binutils 2.40's addr2line names the wrong file for a header's function in GCC 12's DWARF 5
  // (its line, the compilation unit's file: "driver.c:25 in InterlockedIncrement").
  std::vector<std::vector<std::pair<std::string, std::string>>> frames;
  if (llvm) {
    // A blank line ends each address's frames.
    frames.emplace_back();
    for (const std::string& line : Run(fmt::format("{} --obj={} --functions=short --demangle{} "
                                                   "2>/dev/null",
                                                   Quoted(*llvm), Quoted(file), addresses))) {
      auto& block = frames.back();
      if (line.empty()) {
        if (!block.empty()) frames.emplace_back();
      } else if (block.empty() || !block.back().second.empty()) {
        block.push_back({line, ""});
      } else {
        block.back().second = line;
      }
    }
  } else if (addr2line) {
    // -a prints each address before its frames, which -i makes one or more.
    for (const std::string& line : Run(fmt::format("{} -a -f -i -C -e {}{} 2>/dev/null",
                                                   Quoted(*addr2line), Quoted(file), addresses))) {
      if (IsAddressLine(line)) {
        frames.emplace_back();
      } else if (!frames.empty()) {
        auto& block = frames.back();
        if (block.empty() || !block.back().second.empty()) {
          block.push_back({line, ""});
        } else {
          block.back().second = line.empty() ? "??" : line;
        }
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> out(offsets.size());
  for (std::size_t i = 0; i < offsets.size() && i < frames.size(); ++i) {
    const auto& block = frames[i];
    if (block.empty()) continue;
    std::string function = block.front().first == "??" ? "" : block.front().first;
    std::string location = CleanLocation(block.front().second);
    for (std::size_t j = 1; j < block.size() && !function.empty(); ++j) {
      const std::string outer = block[j].first == "??" ? "" : block[j].first;
      const std::string at = CleanLocation(block[j].second);
      if (outer.empty()) break;
      function += at.empty() ? fmt::format(" (inlined into {})", outer)
                             : fmt::format(" (inlined into {} at {})", outer, at);
    }
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
