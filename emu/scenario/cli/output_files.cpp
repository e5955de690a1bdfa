// Trace and report file names, and writing them.
#include "scenario/cli/output_files.hpp"

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace kemu::scenario::internal {
namespace {

namespace fs = std::filesystem;

// Scenario names come from files; keep them from adding directories or odd characters to paths.
std::string FileNamePart(std::string_view text) {
  std::string name;
  for (char c : text) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    name += plain ? c : '_';
  }
  return name;
}

std::string RunPart(const Outcome& outcome) {
  return FileNamePart(outcome.scenario) + "." + std::string(OsName(outcome.os));
}

}  // namespace

std::string TracePath(const CliOptions& options, std::size_t total_runs, const Outcome& outcome) {
  if (!options.trace.empty()) {
    if (total_runs == 1) return options.trace;
    const fs::path trace(options.trace);
    const std::string name =
        trace.stem().string() + "." + RunPart(outcome) + trace.extension().string();
    return (trace.parent_path() / name).string();
  }
  if (!options.report.empty() && !outcome.passed()) {
    const fs::path report(options.report);
    return (report.parent_path() / (report.stem().string() + "-traces") /
            (RunPart(outcome) + ".json"))
        .string();
  }
  return "";
}

std::string ReportLinkBase(const std::string& report_path) {
  return fs::path(report_path).parent_path().string();
}

bool CanWrite(const std::string& path, std::ostream& err) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code error;
  if (!parent.empty()) fs::create_directories(parent, error);
  // Append mode: creates a missing file without truncating one a previous run left.
  errno = 0;
  std::ofstream file(path, std::ios::app);
  if (file) return true;
  const int reason = errno;
  err << "error: cannot write " << path;
  if (reason != 0) err << " (" << std::generic_category().message(reason) << ")";
  err << "\n";
  return false;
}

bool WriteOutputFile(const std::string& path, const std::string& text, std::ostream& err) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code error;
  if (!parent.empty()) fs::create_directories(parent, error);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!error && file) return true;
  err << "error: cannot write " << path;
  if (error) err << " (" << error.message() << ")";
  err << "\n";
  return false;
}

}  // namespace kemu::scenario::internal
