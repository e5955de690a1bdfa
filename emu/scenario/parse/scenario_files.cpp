// Listing scenario files under a directory, in a stable order.
#include "scenario/parse/scenario_files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace kemu::scenario::internal {

std::vector<std::string> ScenarioFiles(const std::string& path, std::string* error_message) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(path, error)) return {path};
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    const fs::path& file = it->path();
    if (it->is_regular_file(error) && (file.extension() == ".yaml" || file.extension() == ".yml")) {
      files.push_back(file.string());
    }
  }
  if (error && error_message != nullptr) *error_message = error.message();
  // Directory iteration order is the file system's; tests and reports must not depend on it.
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kemu::scenario::internal
