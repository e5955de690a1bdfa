// kemu::fuzz_replay: main() that replays fuzz inputs through a fuzz target without libFuzzer, so a
// corpus is a regression test under any compiler: `<replay> [--flags] <file or dir>...` runs
// LLVMFuzzerTestOneInput once per file (directories recursively, in path order). Arguments that
// start with '-' are the target's own (LLVMFuzzerInitialize sees them all, as under libFuzzer).
// When an input aborts, the file is named on stderr first. `--random N` runs the target on N
// inputs of 0..1023 bytes from a fixed-seed generator (the same inputs on every machine), for
// targets whose every input is meaningful. Directories that hold no file (a new driver's corpus)
// run the empty input once, as libFuzzer does on an empty corpus; no argument at all is an error.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

char current_file[4096] = "";

void NameTheInput(int signal_number) {
  constexpr char kPrefix[] = "replay: the input that crashed: ";
  (void)!write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  (void)!write(STDERR_FILENO, current_file, std::strlen(current_file));
  (void)!write(STDERR_FILENO, "\n", 1);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void Replay(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::snprintf(current_file, sizeof current_file, "%s", name.c_str());
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGABRT, NameTheInput);
  ::signal(SIGSEGV, NameTheInput);
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t count = 0;
  bool corpus_named = false;
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
    if (argv[i][0] == '-') continue;
    const std::filesystem::path path(argv[i]);
    if (!std::filesystem::exists(path)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
    corpus_named = true;
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
  if (count == 0 && corpus_named) {
    std::printf("replay: the corpus holds no input; running the empty input, as libFuzzer does\n");
    static const std::uint8_t kNoByte = 0;  // a valid pointer, as libFuzzer passes
    std::snprintf(current_file, sizeof current_file, "(the empty input)");
    LLVMFuzzerTestOneInput(&kNoByte, 0);
    count = 1;
  }
  std::printf("replay: %zu inputs, no crash\n", count);
  return count == 0 ? 2 : 0;
}
