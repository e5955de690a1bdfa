// Locations and diagnostics: how every scenario error and failure names its place in a file.
#include <fmt/format.h>

#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/scenario.hpp"

namespace kemu::scenario {

std::string FormatLocation(const Location& where) {
  if (where.line == 0) return where.file;
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  return fmt::format("{}: error: {}", FormatLocation(diagnostic.where), diagnostic.message);
}

namespace {

std::string JoinDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& d : diagnostics) {
    text += FormatDiagnostic(d);
    text += '\n';
  }
  return text;
}

}  // namespace

ScenarioError::ScenarioError(std::vector<Diagnostic> diagnostics)
    : Error(JoinDiagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

}  // namespace kemu::scenario
