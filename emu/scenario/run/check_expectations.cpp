// Comparing an `expect:` block with the run: every failure names the expectation's location and
// says what was expected and what happened, by name where there is one.
#include <fmt/format.h>

#include <new>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "kemu/testing/ntstatus.hpp"
#include "scenario/run/session.hpp"

namespace kemu::scenario::internal {
namespace {

std::string Describe(const BugCheckExpectation& expected) {
  if (expected.none) return "none";
  std::string text = FormatBugCheckCode(expected.code);
  if (expected.parameter1) text += fmt::format("/0x{:X}", *expected.parameter1);
  return text;
}

bool Matches(const BugCheckExpectation& expected, const CrashSummary& crash) {
  if (expected.none || expected.code != crash.code) return false;
  return !expected.parameter1 || *expected.parameter1 == crash.parameters[0];
}

class Checker {
 public:
  Checker(Session& session, const Expectations& expected)
      : s_(session), e_(expected), outcome_(session.outcome()) {}

  void DeviceFields(DeviceSlot& slot) {
    const std::optional<Connection>& c = slot.last_seen;
    const std::string& name = slot.name();
    if (e_.connect_version) {
      const std::uint32_t actual = c ? c->version : 0;
      if (actual != e_.connect_version->value) {
        s_.Fail(
            e_.connect_version->where,
            fmt::format("{} connect_version: expected {}, got {}", name,
                        ConnectVersionName(e_.connect_version->value), ConnectVersionName(actual)));
      }
    }
    Counter(name, "isr_calls", e_.isr_calls, c, &Connection::isr_calls);
    Counter(name, "isr_claimed", e_.isr_claimed, c, &Connection::isr_claimed);
    Counter(name, "dpcs_requested", e_.dpcs_requested, c, &Connection::dpcs_requested);
    Counter(name, "message_count", e_.message_count, c, &Connection::message_count);
    if (e_.granted_messages) {
      Number(fmt::format("{} granted_messages", name), *e_.granted_messages,
             slot.device->granted_messages());
    }
    Registers(slot);
    Probes(slot);
  }

  void MachineFields() {
    if (e_.irql) Number("irql", *e_.irql, s_.machine().CurrentIrql());
    if (e_.start_status) {
      const std::int32_t expected = e_.start_status->value;
      if (!outcome_.start_status) {
        s_.Fail(e_.start_status->where,
                fmt::format("start_status: expected {}, but no start step ran",
                            testing::FormatNtStatus(expected)));
      } else if (*outcome_.start_status != expected) {
        s_.Fail(e_.start_status->where,
                fmt::format("start_status: expected {}, got {}", testing::FormatNtStatus(expected),
                            testing::FormatNtStatus(*outcome_.start_status)));
      }
    }
  }

  void Crash(bool final) {
    const std::optional<CrashSummary>& crash = outcome_.crash;
    if (e_.bugcheck) {
      const BugCheckExpectation& expected = e_.bugcheck->value;
      const Location& where = e_.bugcheck->where;
      if (!crash) {
        if (!expected.none) {
          s_.Fail(where, fmt::format("bugcheck: expected {}, but the machine did not crash",
                                     Describe(expected)));
        }
      } else if (!Matches(expected, *crash)) {
        s_.Fail(where, fmt::format("bugcheck: expected {}, got {}/0x{:X}", Describe(expected),
                                   FormatBugCheckCode(crash->code), crash->parameters[0]));
      }
      return;
    }
    if (final && crash) {
      const auto& p = crash->parameters;
      s_.Fail(s_.crash_where(),
              fmt::format("unexpected bug check {} (0x{:X}, 0x{:X}, 0x{:X}, 0x{:X})",
                          FormatBugCheckCode(crash->code), p[0], p[1], p[2], p[3]));
    }
  }

 private:
  template <typename T, typename A>
  void Number(const std::string& label, const Expected<T>& expected, A actual) {
    if (static_cast<std::uint64_t>(actual) == static_cast<std::uint64_t>(expected.value)) return;
    s_.Fail(expected.where, fmt::format("{}: expected {}, got {}", label, expected.value, actual));
  }

  template <typename T, typename Field>
  void Counter(const std::string& device, const char* field, const std::optional<Expected<T>>& e,
               const std::optional<Connection>& connection, Field Connection::*member) {
    if (!e) return;
    if (!connection) {
      s_.Fail(e->where, fmt::format("{} {}: expected {}, but {} never connected", device, field,
                                    e->value, device));
      return;
    }
    Number(fmt::format("{} {}", device, field), *e, (*connection).*member);
  }

  void Registers(DeviceSlot& slot) {
    // Entries, not structured bindings: lambdas capturing bindings need clang 16 / AppleClang 15.
    for (const auto& entry : e_.registers) {
      const std::uint32_t offset = entry.first;
      const Expected<std::uint32_t>& expected = entry.second;
      Guarded(expected.where, [&] {
        const std::uint32_t actual = s_.Registers(slot).Peek(offset);
        if (actual == expected.value) return;
        s_.Fail(expected.where, fmt::format("{} register {:#05x}: expected {:#010x}, got {:#010x}",
                                            slot.name(), offset, expected.value, actual));
      });
    }
  }

  void Probes(DeviceSlot& slot) {
    for (const auto& entry : e_.probes) {
      const std::string& probe = entry.first;
      const Expected<std::int64_t>& expected = entry.second;
      Guarded(expected.where, [&] {
        const std::int64_t actual = s_.adapter().Probe(probe, *slot.device);
        if (actual == expected.value) return;
        s_.Fail(expected.where, fmt::format("{} probe {}: expected {}, got {}", slot.name(), probe,
                                            expected.value, actual));
      });
    }
  }

  // A check that reads through the model or the adapter can throw; that is its failure.
  template <typename Body>
  void Guarded(const Location& where, Body body) {
    try {
      body();
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const BugCheck& crash) {
      s_.Fail(where, fmt::format("cannot be read: the machine crashed ({})",
                                 FormatBugCheckCode(crash.code())));
    } catch (const std::exception& error) {
      s_.Fail(where, error.what());
    }
  }

  Session& s_;
  const Expectations& e_;
  Outcome& outcome_;
};

bool HasDeviceFields(const Expectations& e) {
  return e.connect_version || e.isr_calls || e.isr_claimed || e.dpcs_requested || e.message_count ||
         e.granted_messages || !e.registers.empty() || !e.probes.empty();
}

}  // namespace

void CheckExpectations(Session& session, const Expectations& expected, const Location& block,
                       bool final) {
  Checker checker(session, expected);
  if (HasDeviceFields(expected)) {
    DeviceSlot* slot = nullptr;
    try {
      slot = &session.Slot(expected.device);
    } catch (const Error& error) {
      // The parser checks device names; a scenario built in C++ may still name none.
      session.Fail(block, error.what());
    }
    if (slot != nullptr && slot->device != nullptr) checker.DeviceFields(*slot);
  }
  checker.MachineFields();
  checker.Crash(final);
}

}  // namespace kemu::scenario::internal
