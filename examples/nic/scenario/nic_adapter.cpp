// The NIC driver's scenario adapter: actions drive the card model, probes read the extension.
#include "nic_adapter.hpp"

#include <memory>
#include <string_view>

#include "kemu/error.hpp"
#include "kemu/scenario/parser.hpp"

namespace kemu_example {
namespace {

using kemu::scenario::ActionArgs;
using kemu::scenario::ActionInfo;

// What a probe reads: the extension (statistics and observations), the card, and the snapshot
// the last get_statistics action took. Never a kernel call (see nic_adapter.hpp).
struct ProbeSource {
  const NIC_EXTENSION& extension;
  const NicDevice& nic;
  const NIC_STATISTICS& snapshot;
};

struct ProbeInfo {
  std::string_view name;
  std::int64_t (*read)(const ProbeSource& source);
};

// The driver's own counters, as NicGetStatistics would report them once the DPC has run.
constexpr ProbeInfo kProbes[] = {
    {"frames_received",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.FramesReceived; }},
    {"bytes_received",
     [](const ProbeSource& s) -> std::int64_t {
       return static_cast<std::int64_t>(s.extension.Statistics.BytesReceived);
     }},
    {"interrupts",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.Interrupts; }},
    {"dpcs", [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.Dpcs; }},
    // The driver folds the card's read-to-clear counter in at each DPC and statistics call;
    // frames the card counted since then are still in the register.
    {"rx_missed",
     [](const ProbeSource& s) -> std::int64_t {
       return s.extension.Statistics.RxMissed + s.nic.Peek(NIC_REG_RX_MISSED);
     }},
    {"tx_completions",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.TxCompletions; }},
    {"link_changes",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.LinkChanges; }},
    {"link_up",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.LinkUp ? 1 : 0; }},
    // Link reports the work item made at PASSIVE_LEVEL; one may still be queued.
    {"link_reports",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Statistics.LinkReports; }},
    {"link_report_queued",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.LinkReportQueued ? 1 : 0; }},
    // ISR calls, claimed or not: on a shared line the NIC's ISR also sees other devices'
    // interrupts.
    {"isr_calls", [](const ProbeSource& s) -> std::int64_t { return s.extension.IsrCalls; }},
    // Causes the ISR acknowledged and interrupts it claimed that no DPC has taken yet.
    {"pending_causes",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.PendingCauses; }},
    {"pending_interrupts",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.PendingInterrupts; }},
    // The connect: the status of the CONNECT_MESSAGE_BASED attempt (as an unsigned 32-bit
    // NTSTATUS, so a scenario writes 0xC00000BB), the version in effect (0 once stopped) and
    // whether the message ISR is the one connected.
    {"first_attempt_status",
     [](const ProbeSource& s) -> std::int64_t {
       return static_cast<std::uint32_t>(s.extension.FirstAttemptStatus);
     }},
    {"connect_version",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.ConnectVersion; }},
    {"message_used",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.MessageUsed ? 1 : 0; }},
    {"mapped",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.Registers != nullptr ? 1 : 0; }},
    // Where the ISR, the DPC and the DPC's KeSynchronizeExecution routine last ran.
    {"last_isr_irql", [](const ProbeSource& s) -> std::int64_t { return s.extension.LastIsrIrql; }},
    {"last_dpc_irql", [](const ProbeSource& s) -> std::int64_t { return s.extension.LastDpcIrql; }},
    {"last_synchronize_irql",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.LastSynchronizeIrql; }},
    {"last_isr_processor",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.LastIsrProcessor; }},
    {"last_dpc_processor",
     [](const ProbeSource& s) -> std::int64_t { return s.extension.LastDpcProcessor; }},
    // The card: resets the driver asked for, causes latched in ISR, causes that interrupt, and
    // frames waiting in the ring for the driver.
    {"resets", [](const ProbeSource& s) -> std::int64_t { return s.nic.resets(); }},
    {"causes", [](const ProbeSource& s) -> std::int64_t { return s.nic.causes(); }},
    {"interrupt_mask", [](const ProbeSource& s) -> std::int64_t { return s.nic.interrupt_mask(); }},
    {"ring_pending",
     [](const ProbeSource& s) -> std::int64_t {
       return (s.nic.rx_tail() + NIC_RX_RING_SIZE - s.nic.rx_head()) % NIC_RX_RING_SIZE;
     }},
    // What the last get_statistics returned: a snapshot taken while interrupts came and went.
    {"snapshot_frames_received",
     [](const ProbeSource& s) -> std::int64_t { return s.snapshot.FramesReceived; }},
    {"snapshot_dpcs", [](const ProbeSource& s) -> std::int64_t { return s.snapshot.Dpcs; }},
};

// `set_link: false`, `set_link: {up: 1}`: YAML's spellings of a boolean.
bool BoolArgument(const ActionArgs& args, const std::string& name, bool fallback) {
  const std::string text = args.String(name, fallback ? "true" : "false");
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  throw kemu::scenario::ScenarioError(
      {{args.where(), "argument '" + name + "' must be true or false, got '" + text + "'"}});
}

constexpr std::uint64_t kMaxFrames = 1000;

unsigned CountArgument(const ActionArgs& args) {
  const std::uint64_t count = args.Unsigned("count", 1);
  if (count > kMaxFrames) {
    throw kemu::scenario::ScenarioError(
        {{args.where(), "argument 'count' must be at most 1000, got " + std::to_string(count)}});
  }
  return static_cast<unsigned>(count);
}

std::uint32_t LengthArgument(const ActionArgs& args) {
  const std::uint64_t length = args.Unsigned("length", kNicFrameBytes);
  if (length == 0 || length > 0xFFFF) {
    throw kemu::scenario::ScenarioError(
        {{args.where(), "argument 'length' must be 1..65535, got " + std::to_string(length)}});
  }
  return static_cast<std::uint32_t>(length);
}

// The ranges CountArgument and LengthArgument enforce, for the file's validation.
std::vector<kemu::scenario::ArgumentRange> FrameArguments() {
  return {{.parameter = "count", .minimum = 0, .maximum = kMaxFrames},
          {.parameter = "length", .minimum = 1, .maximum = 0xFFFF}};
}

}  // namespace

kemu::Hardware* NicAdapter::HardwareFor(const kemu::DeviceConfig& config) {
  // The card needs its BAR; a device without one is someone else's (or a start that must fail).
  if (!nic_name_.empty() || config.memory_bytes == 0) return nullptr;
  nic_name_ = config.name;
  return &nic_;
}

void NicAdapter::RequireNic(const kemu::Device& device, const std::string& what) const {
  if (device.name() == nic_name_) return;
  throw kemu::Error("kemu_example: '" + what + "' needs the NIC, which sits behind " +
                    (nic_name_.empty() ? std::string("no device (give one memory_bytes: 0x200)")
                                       : "device '" + nic_name_ + "'") +
                    ", not '" + device.name() + "'");
}

NTSTATUS NicAdapter::Start(kemu::Device& device) {
  // A device without a BAR may still be started: the driver must refuse it.
  if (nic_name_.empty()) nic_name_ = device.name();
  RequireNic(device, "start");
  return driver_.StartDevice(&extension_, device.pdo(), device.raw_resources(),
                             device.translated_resources());
}

void NicAdapter::Stop(kemu::Device& device) {
  RequireNic(device, "stop");
  driver_.StopDevice(&extension_);  // does nothing when not started
}

std::vector<ActionInfo> NicAdapter::Actions() const {
  return {
      {.name = "receive_frames",
       .parameters = {"count", "length"},
       .help = "frames arrive, each completed into the ring with its own RX_DONE interrupt",
       .numbers = FrameArguments()},
      {.name = "stage_frames",
       .parameters = {"count", "length"},
       .help = "frames land in the ring with RX_DONE latched but no interrupt yet",
       .numbers = FrameArguments()},
      {.name = "complete_transmit", .parameters = {}, .help = "a transmit completes (TX_DONE)"},
      {.name = "set_link", .parameters = {"up"}, .help = "the link goes up or down (LINK)"},
      {.name = "get_statistics",
       .parameters = {},
       .help = "the driver's NicGetStatistics; probes snapshot_* show what it returned",
       .needs_started = true},
      {.name = "interrupt_after_calls",
       .parameters = {"calls"},
       .help = "the card interrupts (message or line, whichever it was granted) at the "
               "driver's calls-th kernel call from now, if a cause is latched and enabled then",
       .numbers = {{.parameter = "calls", .minimum = 1}}},
  };
}

void NicAdapter::Act(const std::string& action, const ActionArgs& args, kemu::Device& device) {
  RequireNic(device, action);
  if (action == "receive_frames") {
    nic_.ReceiveFrames(CountArgument(args), LengthArgument(args));
  } else if (action == "stage_frames") {
    nic_.StageFrames(CountArgument(args), LengthArgument(args));
  } else if (action == "complete_transmit") {
    nic_.CompleteTransmit();
  } else if (action == "set_link") {
    nic_.SetLink(BoolArgument(args, "up", true));
  } else if (action == "get_statistics") {
    driver_.GetStatistics(&extension_, &snapshot_);
  } else if (action == "interrupt_after_calls") {
    const std::uint64_t calls = args.Unsigned("calls", 1);
    if (calls == 0) {
      throw kemu::scenario::ScenarioError(
          {{args.where(), "argument 'calls' counts from 1 (the driver's next kernel call)"}});
    }
    // The card decides when the moment comes: an interrupt only if a cause is latched and enabled
    // then. The adapter owns nic_ and outlives the run's Machine.
    device.ScheduleAfterCalls(calls, [this] { nic_.InterruptIfPending(); });
  } else {
    DriverAdapter::Act(action, args, device);
  }
}

std::vector<std::string> NicAdapter::Probes() const {
  std::vector<std::string> names;
  for (const ProbeInfo& probe : kProbes) names.emplace_back(probe.name);
  return names;
}

std::int64_t NicAdapter::Probe(const std::string& probe, kemu::Device& device) {
  // One card per adapter: every probe is about it, whichever device the expectation names.
  for (const ProbeInfo& info : kProbes) {
    if (info.name == probe) return info.read({extension_, nic_, snapshot_});
  }
  return DriverAdapter::Probe(probe, device);
}

void AddNicAdapters(kemu::scenario::AdapterRegistry& registry) {
  registry.Add(
      "nic", [] { return std::make_unique<NicAdapter>(NicDriver); },
      "the example NIC driver (examples/nic), built for XP");
  registry.Add(
      "nic_bug_spinlock_at_dirql",
      [] { return std::make_unique<NicAdapter>(NicDriverBugSpinLockAtDirql); },
      "NIC_BUG_SPINLOCK_AT_DIRQL: the ISR takes the driver's DISPATCH_LEVEL spin lock");
  registry.Add(
      "nic_bug_no_ack", [] { return std::make_unique<NicAdapter>(NicDriverBugNoAck); },
      "NIC_BUG_NO_ACK: the ISR never acknowledges the card");
  registry.Add(
      "nic_bug_leak_rx_buffers",
      [] { return std::make_unique<NicAdapter>(NicDriverBugLeakRxBuffers); },
      "NIC_BUG_LEAK_RX_BUFFERS: the stop path never frees the receive buffers");
  registry.Add(
      "nic_bug_wait_at_dispatch",
      [] { return std::make_unique<NicAdapter>(NicDriverBugWaitAtDispatch); },
      "NIC_BUG_WAIT_AT_DISPATCH: the stop path waits on an event holding a spin lock");
}

}  // namespace kemu_example
