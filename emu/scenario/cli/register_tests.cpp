// RegisterTests: every scenario × personality as a GoogleTest test (see kemu/scenario/gtest.hpp).
#include <gtest/gtest.h>

#include <cctype>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kemu/scenario/gtest.hpp"
#include "kemu/scenario/parser.hpp"
#include "scenario/parse/scenario_files.hpp"
#include "scenario/report/report_matrix.hpp"
#include "scenario/report/visible_text.hpp"
#include "scenario/run/exploration.hpp"

namespace kemu::scenario {
namespace {

// gtest requires one fixture class per suite, so every registered test is this class with the
// work it does as a function.
class ScenarioTest : public ::testing::Test {
 public:
  explicit ScenarioTest(std::function<void()> body) : body_(std::move(body)) {}
  void TestBody() override { body_(); }

 private:
  std::function<void()> body_;
};

// gtest filters split on '.', ':' and a leading '-', so names keep only word characters (and '/',
// which gtest's own parameterised names use).
std::string TestNamePart(std::string_view text) {
  std::string name;
  for (char c : text) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '/';
    name += word ? c : '_';
  }
  return name;
}

void ReportAt(const Location& where, const std::string& message) {
  const std::string file = where.file.empty() ? "<scenario>" : where.file;
  // GoogleTest prints the message to a terminal and into its XML report as it is.
  ADD_FAILURE_AT(file.c_str(), where.line > 0 ? where.line : -1) << internal::VisibleText(message);
}

void Register(const std::string& suite, const std::string& name, const Location& where,
              std::function<void()> body) {
  ::testing::RegisterTest(
      suite.c_str(), name.c_str(), nullptr, nullptr, where.file.c_str(), where.line,
      [body = std::move(body)]() -> ScenarioTest* { return new ScenarioTest(body); });
}

// "ScenarioFile/<file>" with the file named relative to the registered directory, extension off.
std::string FileSuite(const std::string& root, const std::string& file) {
  namespace fs = std::filesystem;
  fs::path relative = fs::path(file).lexically_relative(root);
  if (relative.empty() || relative.native().starts_with("..")) relative = fs::path(file).filename();
  if (relative == ".") relative = fs::path(file).filename();
  return "ScenarioFile/" + TestNamePart(relative.replace_extension().generic_string());
}

int RegisterBrokenFile(const std::string& root, const std::string& file,
                       std::vector<Diagnostic> diagnostics) {
  const Location where = diagnostics.empty() ? Location{file} : diagnostics.front().where;
  Register(FileSuite(root, file), "Parses", where, [diagnostics = std::move(diagnostics)] {
    for (const Diagnostic& d : diagnostics) ReportAt(d.where, d.message);
  });
  return 1;
}

// KEMU_SCHEDULES / KEMU_SCHEDULE are read when the test runs, not when it is registered: a bad
// value then fails each test with a message naming the variable (as KEMU_SEED does in fixture
// tests) instead of ending the program before GoogleTest reports anything.
Outcome RunOrExplore(const Scenario& scenario, Os os, const AdapterFactory& factory,
                     const RunOptions& options) {
  const std::optional<internal::ScheduleRequest> request =
      internal::ScheduleRequestFromEnvironment();
  if (!request) return Run(scenario, os, factory, options);
  return internal::ExploreAndNote(scenario, os, factory, *request, options,
                                  internal::Replay::kEnvironment);
}

int RegisterRuns(const std::shared_ptr<const Scenario>& scenario, const AdapterFactory& factory,
                 const RunOptions& options) {
  for (Os os : scenario->os) {
    Register("Scenario/" + TestNamePart(scenario->name), TestNamePart(OsName(os)), scenario->where,
             [scenario, os, factory, options] {
               const Outcome outcome = RunOrExplore(*scenario, os, factory, options);
               ::testing::Test::RecordProperty("result", internal::CellDetails(outcome));
               if (outcome.schedules != 0) {
                 ::testing::Test::RecordProperty("schedules", internal::SchedulesPlayed(outcome));
               }
               for (const Failure& failure : outcome.failures) {
                 ReportAt(failure.where, failure.message);
               }
             });
  }
  return static_cast<int>(scenario->os.size());
}

// A broken file's diagnostics with those of `check` (its adapter's) added: read again, which only
// a broken file costs, so that its one failing test lists every problem at once.
std::vector<Diagnostic> EveryProblem(const std::string& file, const ScenarioError& error,
                                     const internal::ScenarioCheck& check) {
  try {
    internal::LoadScenario(file, check);
  } catch (const ScenarioError& again) {
    return again.diagnostics();
  } catch (const std::exception&) {
    // An adapter that cannot be made or listed here fails each run instead; the file's own
    // problems still make its test.
  }
  return error.diagnostics();
}

// "unknown driver 'x' (did you mean 'y'?)" for a scenario whose driver the registry lacks.
std::string UnknownDriver(const Scenario& scenario, const AdapterRegistry& registry) {
  if (scenario.driver.empty()) return "no driver adapter is registered";
  const std::string suggestion = ClosestMatch(scenario.driver, registry.Names());
  return "unknown driver '" + scenario.driver + "'" +
         (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)");
}

// Loads every file under `path` on its own, so one broken file does not hide the others, and
// hands each scenario to `register_scenario`, which returns how many tests it registered. A
// file that does not parse is one failing test listing its problems and `check`'s.
int RegisterAll(const std::string& path, const internal::ScenarioCheck& check,
                const std::function<int(std::shared_ptr<const Scenario>)>& register_scenario) {
  int registered = 0;
  std::map<std::string, std::string> files_by_name;
  for (const std::string& file : internal::ScenarioFiles(path)) {
    try {
      auto scenario = std::make_shared<const Scenario>(LoadScenario(file));
      const auto [it, added] = files_by_name.emplace(scenario->name, file);
      if (!added) {
        registered +=
            RegisterBrokenFile(path, file,
                               {{scenario->where, "scenario '" + scenario->name +
                                                      "' is already defined in " + it->second}});
        continue;
      }
      registered += register_scenario(std::move(scenario));
    } catch (const ScenarioError& error) {
      registered += RegisterBrokenFile(path, file, EveryProblem(file, error, check));
    }
  }
  return registered;
}

}  // namespace

int RegisterTests(const std::string& path, AdapterFactory factory, const RunOptions& options) {
  const internal::ScenarioCheck check = [&](const Scenario& scenario) {
    return Validate(scenario, *factory());
  };
  return RegisterAll(path, check, [&](const std::shared_ptr<const Scenario>& scenario) {
    return RegisterRuns(scenario, factory, options);
  });
}

int RegisterTests(const std::string& path, const AdapterRegistry& registry,
                  const RunOptions& options) {
  const internal::ScenarioCheck check = [&](const Scenario& scenario) {
    const AdapterFactory* factory = registry.Find(scenario.driver);
    if (factory == nullptr)
      return std::vector<Diagnostic>{{scenario.driver_where, UnknownDriver(scenario, registry)}};
    return Validate(scenario, *(*factory)());
  };
  return RegisterAll(path, check, [&](const std::shared_ptr<const Scenario>& scenario) {
    if (const AdapterFactory* factory = registry.Find(scenario->driver)) {
      return RegisterRuns(scenario, *factory, options);
    }
    // An unknown driver fails every run the scenario asks for, under the names the runs would
    // have had, so the scenario is red where a reader looks for it.
    const std::string message = UnknownDriver(*scenario, registry);
    for (Os os : scenario->os) {
      Register("Scenario/" + TestNamePart(scenario->name), TestNamePart(OsName(os)),
               scenario->where, [where = scenario->where, message] { ReportAt(where, message); });
    }
    return static_cast<int>(scenario->os.size());
  });
}

}  // namespace kemu::scenario
