// Replays fuzz inputs through a fuzz target without libFuzzer, so the corpus is a regression test
// under any compiler: `<replay> <file or dir>...` runs LLVMFuzzerTestOneInput once per file, and
// `--random N` runs it on N inputs of 0..1023 bytes from a fixed-seed generator (the same inputs on
// every machine), for targets whose every input is meaningful.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void Replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--random" && i + 1 < argc) {
      const unsigned long inputs = std::stoul(argv[++i]);
      std::mt19937_64 generator(0x6B656D75);  // "kemu": fixed, so a failure replays
      std::vector<std::uint8_t> bytes;
      for (unsigned long n = 0; n < inputs; ++n) {
        bytes.resize(generator() % 1024);
        for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(generator());
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      }
      count += inputs;
      continue;
    }
    const std::filesystem::path path(argv[i]);
    if (!std::filesystem::exists(path)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) Replay(file);
      count += files.size();
    } else {
      Replay(path);
      ++count;
    }
  }
  std::printf("replay: %zu inputs, no crash\n", count);
  return count == 0 ? 2 : 0;
}
