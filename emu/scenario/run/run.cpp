// Run() and RunAll(): one scenario on one personality, or on every personality it names.
#include <algorithm>
#include <exception>
#include <memory>
#include <new>

#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/runner.hpp"
#include "scenario/run/session.hpp"

namespace kemu::scenario {
namespace {

void Play(const Scenario& scenario, Os os, const AdapterFactory& factory, const RunOptions& options,
          Outcome& outcome) {
  if (!factory) {
    outcome.failures.push_back({scenario.where, "no driver adapter to run the scenario with"});
    return;
  }
  // Made before the Machine and destroyed after it (DriverAdapter's contract): it owns hardware
  // models the Machine uses until it is gone.
  std::unique_ptr<DriverAdapter> adapter = factory();
  if (adapter == nullptr) {
    outcome.failures.push_back({scenario.where, "the driver adapter factory returned no adapter"});
    return;
  }
  const std::vector<Diagnostic> diagnostics = Validate(scenario, *adapter);
  if (!diagnostics.empty()) {
    for (const Diagnostic& d : diagnostics) outcome.failures.push_back({d.where, d.message});
    return;
  }
  internal::Session session(scenario, os, *adapter, options, outcome);
  session.Play();
}

}  // namespace

Outcome Run(const Scenario& scenario, Os os, const AdapterFactory& factory,
            const RunOptions& options) {
  Outcome outcome;
  outcome.scenario = scenario.name;
  outcome.where = scenario.where;
  outcome.os = os;
  outcome.seed = options.seed.value_or(scenario.machine.seed);
  outcome.schedule = options.schedule.value_or(scenario.machine.schedule);
  try {
    Play(scenario, os, factory, options, outcome);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& error) {
    // The session guards everything that touches the machine; this is an adapter's factory or
    // Validate() throwing, or something no guard expected.
    outcome.failures.push_back({scenario.where, error.what()});
    if (outcome.error.empty()) outcome.error = error.what();
  }
  return outcome;
}

std::vector<Outcome> RunAll(const Scenario& scenario, const AdapterFactory& factory,
                            const std::vector<Os>& only, const RunOptions& options) {
  std::vector<Outcome> outcomes;
  // AllOs() order: oldest first, and once each even if the scenario lists an Os twice.
  for (Os os : AllOs()) {
    const auto named = [os](const std::vector<Os>& list) {
      return std::find(list.begin(), list.end(), os) != list.end();
    };
    if (!named(scenario.os)) continue;
    if (!only.empty() && !named(only)) continue;
    outcomes.push_back(Run(scenario, os, factory, options));
  }
  return outcomes;
}

}  // namespace kemu::scenario
