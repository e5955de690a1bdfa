// Where the runner writes traces and reports, and writing them.
#ifndef KEMU_EMU_SCENARIO_CLI_OUTPUT_FILES_HPP_
#define KEMU_EMU_SCENARIO_CLI_OUTPUT_FILES_HPP_

#include <cstddef>
#include <ostream>
#include <string>

#include "kemu/scenario/runner.hpp"
#include "scenario/cli/cli_options.hpp"

namespace kemu::scenario::internal {

/// Where the trace of `outcome` goes, or "" when it is not written:
/// - --trace=FILE: FILE for a single run, else "<stem>.<scenario>.<os><ext>" beside FILE;
/// - --report=R.md without --trace: failing runs only, "<R's stem>-traces/<scenario>.<os>.json"
///   beside R, so the Markdown matrix can link them.
std::string TracePath(const CliOptions& options, std::size_t total_runs, const Outcome& outcome);

/// The directory report links are relative to: the report's own directory.
std::string ReportLinkBase(const std::string& report_path);

/// Checks, before anything runs, that `path` can be written (it is created, empty, if missing).
bool CanWrite(const std::string& path, std::ostream& err);

/// Writes `text` to `path`, creating missing parent directories. On failure says so on `err` and
/// returns false.
bool WriteOutputFile(const std::string& path, const std::string& text, std::ostream& err);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_CLI_OUTPUT_FILES_HPP_
