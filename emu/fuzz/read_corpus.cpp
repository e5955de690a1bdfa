// kemu::fuzz::ReadCorpus: a corpus directory's inputs in path order.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "kemu/error.hpp"
#include "kemu/fuzz.hpp"

namespace kemu::fuzz {

std::vector<std::vector<std::uint8_t>> ReadCorpus(const std::string& directory) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (error) throw Error("kemu: cannot read the corpus " + directory + ": " + error.message());
  std::sort(files.begin(), files.end());
  std::vector<std::vector<std::uint8_t>> inputs;
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return inputs;
}

}  // namespace kemu::fuzz
