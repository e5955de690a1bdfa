// The whole of a text file, for tests that check documents and generated files against the tree.
#ifndef KEMU_TESTS_UNIT_READ_FILE_HPP_
#define KEMU_TESTS_UNIT_READ_FILE_HPP_

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kemu_test {

/// The file's bytes, or "" when it cannot be read (the caller's expectations then fail).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace kemu_test

#endif  // KEMU_TESTS_UNIT_READ_FILE_HPP_
