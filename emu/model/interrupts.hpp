// Interrupt objects, connections and the interrupt controller: which ISRs hang on which vector,
// what is pending, and delivery to a vCPU (docs/windows-facts.md §1-4, §9; docs/decisions.md,
// decision 5).
#ifndef KEMU_EMU_MODEL_INTERRUPTS_HPP_
#define KEMU_EMU_MODEL_INTERRUPTS_HPP_

#include <wdm.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kemu/device.hpp"

namespace kemu::model {

class Kernel;
struct Cpu;
struct DeviceState;
struct ConnectionRecord;

/// A kemu-owned interrupt object. The public KINTERRUPT comes first, so the PKINTERRUPT a driver
/// holds is the address of this object.
struct InterruptObject {
  KINTERRUPT k{};
  ConnectionRecord* record = nullptr;
  unsigned message = 0;  ///< MessageID for message-based objects
  /// The lock its ISR runs under and KeSynchronizeExecution / KeAcquireInterruptSpinLock take:
  /// the record's (the caller's SpinLock, or one kernel lock shared by every vCPU's object of a
  /// line), or, for a message of a connection without a caller SpinLock, `own_lock`: each
  /// message synchronises on its own (docs/windows-facts.md §2.8).
  PKSPIN_LOCK lock = nullptr;
  KSPIN_LOCK own_lock = 0;
};

/// One successful IoConnectInterrupt(Ex) call: its objects, lock and statistics.
struct ConnectionRecord {
  Connection stats;
  DeviceState* device = nullptr;
  bool is_message_table =
      false;  ///< the driver holds an IO_INTERRUPT_MESSAGE_INFO, not a KINTERRUPT
  bool connected = true;
  /// Interrupt dispatches and KeSynchronizeExecution calls in progress that use it (RecordPin):
  /// a disconnected record is freed only when none does.
  std::uint32_t pins = 0;
  /// vCPUs running its ISR now: a disconnect waits until none does.
  std::uint32_t isr_running = 0;
  bool passive = false;       ///< Windows 8+ passive-level ISR (no spin lock, an event instead)
  bool passive_busy = false;  ///< the passive "event" is owned (ISR or KeSynchronizeExecution)
  PKSERVICE_ROUTINE isr = nullptr;
  PKMESSAGE_SERVICE_ROUTINE message_isr = nullptr;
  PVOID context = nullptr;
  KIRQL synchronize_irql = 0;
  KINTERRUPT_MODE mode = LevelSensitive;
  bool share = false;
  KAFFINITY affinity = 0;
  std::vector<ULONG> vectors;  ///< one per message, or the single line vector
  KSPIN_LOCK internal_lock = 0;
  PKSPIN_LOCK lock = nullptr;  ///< actual lock: the caller's or internal_lock
  /// Line/fully specified: one object per enabled vCPU, in vCPU order (objects[0] is what the
  /// driver receives). Message based: one object per message.
  std::vector<std::unique_ptr<InterruptObject>> objects;
  std::vector<unsigned> object_cpus;        ///< vCPU of objects[i] (line/fully specified)
  std::vector<std::uint8_t> message_table;  ///< IO_INTERRUPT_MESSAGE_INFO bytes
  /// The interrupt burst (Cpu::burst) `burst_calls` and `burst_claims` count in, how many of its
  /// deliveries called this ISR and how many it claimed: a storm report names the ISR that
  /// claimed every one, or the asserting device's ISRs that ran and declined.
  std::uint64_t claim_burst = 0;
  std::uint64_t burst_calls = 0;
  std::uint64_t burst_claims = 0;

  PIO_INTERRUPT_MESSAGE_INFO table() {
    return reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(message_table.data());
  }
  /// The object serving `cpu` (line) or `message`. Inline: every dispatch asks.
  InterruptObject* ObjectFor(unsigned cpu, unsigned message) {
    if (is_message_table) return message < objects.size() ? objects[message].get() : nullptr;
    // In vCPU order, so with every vCPU enabled (the common case) vCPU `cpu`'s is at `cpu`.
    if (cpu < objects.size() && object_cpus[cpu] == cpu) return objects[cpu].get();
    return SearchObjectFor(cpu);
  }
  /// The line object of `cpu` when some vCPUs have none, or nullptr.
  InterruptObject* SearchObjectFor(unsigned cpu);
  /// The lock `message`'s ISR takes (a line's on every vCPU). Inline: every delivery asks.
  PKSPIN_LOCK LockOf(unsigned message) const {
    return is_message_table && message < objects.size() ? objects[message]->lock : lock;
  }
};

/// Keeps `record` from being freed while in scope: another vCPU may disconnect it meanwhile.
class RecordPin {
 public:
  explicit RecordPin(ConnectionRecord& record) : record_(record) { ++record_.pins; }
  ~RecordPin() { --record_.pins; }
  RecordPin(const RecordPin&) = delete;
  RecordPin& operator=(const RecordPin&) = delete;

 private:
  ConnectionRecord& record_;
};

/// Parameters common to every connect flavour once validated.
struct ConnectRequest {
  DeviceState* device = nullptr;
  PKSERVICE_ROUTINE isr = nullptr;
  PKMESSAGE_SERVICE_ROUTINE message_isr = nullptr;
  PVOID context = nullptr;
  PKSPIN_LOCK spin_lock = nullptr;
  std::vector<ULONG> vectors;
  std::vector<KIRQL> vector_irqls;  ///< DIRQL of each vector
  KIRQL synchronize_irql = 0;
  KINTERRUPT_MODE mode = LevelSensitive;
  bool share = false;
  KAFFINITY affinity = 0;
  bool floating_save = false;
  bool passive = false;
  bool message_table = false;
  ULONG version = CONNECT_FULLY_SPECIFIED;
  bool legacy = false;
};

class Interrupts {
 public:
  explicit Interrupts(Kernel& kernel) : kernel_(kernel) {}

  // Connection (interrupt_connect.cpp, interrupt_connect_ex.cpp).
  NTSTATUS ConnectLegacy(PKINTERRUPT* out, PKSERVICE_ROUTINE isr, PVOID context,
                         PKSPIN_LOCK spin_lock, ULONG vector, KIRQL irql, KIRQL synchronize_irql,
                         KINTERRUPT_MODE mode, BOOLEAN share, KAFFINITY mask, BOOLEAN floating);
  NTSTATUS ConnectEx(const char* routine, PIO_CONNECT_INTERRUPT_PARAMETERS parameters);
  /// Iointex.lib before Vista: only CONNECT_FULLY_SPECIFIED (docs/windows-facts.md §2.7).
  NTSTATUS ConnectIointex(PIO_CONNECT_INTERRUPT_PARAMETERS parameters);
  void Disconnect(const char* routine, PKINTERRUPT interrupt);
  void DisconnectEx(const char* routine, PIO_DISCONNECT_INTERRUPT_PARAMETERS parameters);

  // Synchronisation and queries (interrupt_sync.cpp).
  BOOLEAN Synchronize(PKINTERRUPT interrupt, PKSYNCHRONIZE_ROUTINE routine, PVOID context);
  KIRQL AcquireLock(PKINTERRUPT interrupt);
  void ReleaseLock(PKINTERRUPT interrupt, KIRQL old_irql);
  NTSTATUS GetAffinity(PKINTERRUPT interrupt, PGROUP_AFFINITY affinity);
  void ReportActive(const char* routine, PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS parameters,
                    bool active);

  // The hardware side and delivery (interrupt_dispatch.cpp).
  void AssertLine(DeviceState& device);
  void DeassertLine(DeviceState& device);
  void PulseLine(DeviceState& device);
  void SignalMessage(DeviceState& device, std::uint32_t message);
  /// One of the four above, chosen by `action` (what a scheduled event does when it is due).
  void Perform(DeviceState& device, DeviceAction action, std::uint32_t message);
  /// Performs `action` once the call count reaches `at_call` or virtual time reaches
  /// `at_time_100ns`, whichever is given (a value already reached is due at the next check).
  void Schedule(DeviceState& device, DeviceAction action, std::uint32_t message,
                std::optional<std::uint64_t> at_call, std::optional<std::uint64_t> at_time_100ns);
  /// Runs a hardware model's `hardware` once the call count reaches `at_call`.
  void Schedule(DeviceState& device, std::function<void()> hardware, std::uint64_t at_call);
  /// Drops what is scheduled on `device` and has not come yet.
  void CancelScheduled(const DeviceState& device);
  /// Every kernel call and every clock advance: performs scheduled device actions now due.
  /// Inline and a compare when nothing is scheduled.
  void RunDueEvents() {
    if (!scheduled_.empty()) RunScheduled();
  }
  /// The earliest virtual time a scheduled device action waits for, if any: a clock advance
  /// stops there, so the action happens when it is due and not at the end of the jump.
  std::optional<std::uint64_t> NextEventTime() const;
  /// Delivers every pending interrupt some vCPU can take now. Inline and a compare when no line
  /// is raised (every IRQL lowering calls it).
  void DeliverPending() {
    if (raised_ != 0) DeliverRaised();
  }
  /// How many of `record`'s vectors have an interrupt waiting for delivery.
  std::uint32_t PendingCount(const ConnectionRecord& record) const;
  /// The connection whose ISR is running on `cpu`, or nullptr (for DPC statistics; every
  /// KeInsertQueueDpc asks, so inline).
  ConnectionRecord* running_isr(unsigned cpu) const {
    return cpu < innermost_isr_.size() ? innermost_isr_[cpu] : nullptr;
  }

  /// Validates a PKINTERRUPT from the driver; bug-checks on anything kemu did not hand out.
  InterruptObject& Lookup(const char* routine, PKINTERRUPT interrupt);
  std::vector<std::string> DescribeConnected() const;
  std::uintptr_t FirstConnected() const;
  /// What `lock` is to a connection, for lock reports: "the interrupt spin lock of the ISR 0x...
  /// on vector 0x61 of device 'card'" (or the spin lock the driver gave IoConnectInterrupt, or a
  /// message's own lock); "" when no connection known uses it.
  std::string DescribeLock(std::uintptr_t lock) const;

  /// How many disconnected connections stay known, so that their interrupt objects and message
  /// tables are still reported as disconnected (not as never connected) when a driver uses them.
  /// Older ones are freed: a driver that connects and disconnects in a loop keeps a bounded
  /// amount of memory.
  static constexpr std::size_t kKeptDisconnected = 256;
  /// Connections kept: the connected ones and at most about kKeptDisconnected disconnected ones.
  std::size_t records_kept() const { return records_.size(); }

 private:
  struct Attachment {
    ConnectionRecord* record;
    unsigned message;
  };
  struct VectorState {
    ULONG vector = 0;
    std::vector<Attachment> chain;  ///< connect order
    KIRQL irql = 0;
    KINTERRUPT_MODE mode = LevelSensitive;
    bool edge_pending = false;       ///< latched edge or message not yet serviced
    std::size_t lines_asserted = 0;  ///< level-triggered device lines asserted on it
    std::uint64_t burst = 0;         ///< the burst (Cpu::burst) `deliveries` counts in
    std::uint64_t deliveries = 0;    ///< deliveries within that burst (the storm bound)
    /// Deliveries in a row after which it was still pending, on whichever vCPUs: the storm bound
    /// across bursts (a stuck line whose deliveries alternate between vCPUs starts a burst with
    /// each). Reset by a delivery that leaves it quiet.
    std::uint64_t streak = 0;
    /// Exploring schedules: the vCPU this pending interrupt was routed to (-1: not yet). It stays
    /// there while that vCPU can take it; a dispatch clears it.
    int routed = -1;
    const DeviceState* raised_by = nullptr;  ///< device that last asserted, pulsed or signalled it
    /// edge_pending plus lines_asserted: while 0 it cannot be pending (not in raised_vectors_).
    std::size_t raised = 0;
  };
  struct ScheduledEvent {
    DeviceState* device;
    DeviceAction action;
    std::uint32_t message;
    // Absent, not 0, for "not this kind": call 0 and time 0 are both real moments.
    std::optional<std::uint64_t> at_call;
    std::optional<std::uint64_t> at_time;
    /// Set: the hardware model's own behaviour at that moment, instead of `action`.
    std::function<void()> hardware;
  };

  void RunScheduled();
  void DeliverRaised();
  /// Throws kemu::Error naming `action` when `device` has no line interrupt.
  static void RequireLine(const DeviceState& device, const char* action);
  /// The state of `vector`, made on first use. Every line action and delivery asks, so the
  /// vectors below kQuickVectors (all of x86's) are found with one indexed load.
  VectorState& Vector(ULONG vector) {
    if (vector < kQuickVectors) {
      if (VectorState* known = quick_vectors_[vector]) return *known;
    }
    return AddVector(vector);
  }
  VectorState& AddVector(ULONG vector);
  /// One more (`up`) or one less reason for `state` to be pending; keeps raised_ and
  /// raised_vectors_. Inline: every line change and delivery counts.
  void CountRaised(VectorState& state, bool up) {
    // One vector raised at a time is the common case: no search for its place.
    if (up) {
      ++raised_;
      if (state.raised++ != 0) return;
      if (raised_vectors_.empty()) {
        raised_vectors_.push_back(&state);
      } else {
        ListRaised(state);
      }
    } else {
      --raised_;
      if (--state.raised != 0) return;
      if (raised_vectors_.size() == 1) {
        raised_vectors_.clear();  // it can only be this one
      } else {
        UnlistRaised(state);
      }
    }
  }
  /// `state` joins / leaves raised_vectors_, keeping its vector order.
  void ListRaised(VectorState& state);
  void UnlistRaised(VectorState& state);
  /// The only writers of VectorState::edge_pending and DeviceState::line_asserted: keep raised_.
  void SetEdgePending(VectorState& state, bool pending);
  void SetLineAsserted(DeviceState& device, bool asserted);
  /// `routine` runs only at PASSIVE_LEVEL; `ddi_rule` is the Verifier DDI compliance rule that
  /// lists it (0: none, so Vista's IRQL check reports it).
  void RequirePassive(const char* routine, std::uint64_t ddi_rule = 0);
  /// Under Verifier, reports `passed` when it names `record` without being the handle its connect
  /// returned (another processor's or a message's interrupt object).
  void RequireHandle(const char* routine, const void* passed, const ConnectionRecord& record);
  ConnectionRecord& Connect(const ConnectRequest& request);
  NTSTATUS ConnectFullySpecified(PIO_CONNECT_INTERRUPT_PARAMETERS parameters);
  /// IoConnectInterrupt's and CONNECT_FULLY_SPECIFIED's Irql, SynchronizeIrql and InterruptMode
  /// rules; sets `passive` for a Windows 8+ passive-level ISR.
  NTSTATUS CheckFullySpecified(KIRQL irql, KIRQL synchronize_irql, KINTERRUPT_MODE mode,
                               PKSPIN_LOCK spin_lock, bool& passive) const;
  /// The device's line into `request` (CONNECT_LINE_BASED and the message-based fallback).
  NTSTATUS RequestLine(const DeviceState& device, KIRQL synchronize_irql, PKSPIN_LOCK spin_lock,
                       ConnectRequest& request) const;
  NTSTATUS ConnectLineBased(PIO_CONNECT_INTERRUPT_PARAMETERS parameters);
  NTSTATUS ConnectMessageBased(PIO_CONNECT_INTERRUPT_PARAMETERS parameters);
  /// Which connection a disconnect / report-active context names, checking its Version.
  ConnectionRecord& Identify(const char* routine, ULONG version, PVOID context);
  NTSTATUS CheckVectorSharing(const ConnectRequest& request) const;
  bool Pending(const VectorState& state) const;
  /// vCPU that can take `vector` now, or -1.
  int TargetFor(VectorState& state) const;
  /// `cpu` allows the interrupt (`affinity`) and is below `threshold`.
  bool Eligible(unsigned cpu, KAFFINITY affinity, KIRQL threshold) const;
  /// The vCPUs where an ISR of a device that raised `state`'s vector is connected, when a shared
  /// chain's connections differ; `chain_affinity` when none is known.
  KAFFINITY RaisingAffinity(const VectorState& state, KAFFINITY chain_affinity) const;
  /// TargetFor when a vCPU holds one of the chain's interrupt locks: -1, after the self-deadlock
  /// report when the holder lowered below the vector's IRQL.
  int TargetWithLockHeld(const VectorState& state) const;
  /// TargetFor under an exploring schedule.
  int TargetExploring(VectorState& state, KAFFINITY affinity, KIRQL threshold) const;
  /// Counts one more delivery of `state`'s vector in `cpu`'s burst; past the storm bound, 0xF2.
  void CountDelivery(VectorState& state, const Cpu& cpu);
  [[noreturn]] void ReportStorm(const VectorState& state, unsigned cpu);
  void Dispatch(VectorState& state, Cpu& cpu);
  /// Dispatch of a vector with more than one ISR chained (or none left): each pinned, in
  /// connect order.
  void DispatchChain(VectorState& state, Cpu& cpu);
  /// Runs one ISR of `state`'s chain on `cpu` under its interrupt lock, with the verifier's
  /// checks around it; whether it claimed the interrupt.
  bool CallIsr(const VectorState& state, const Attachment& attached, Cpu& cpu);
  /// For the storm report: which device keeps `vector` firing (interrupt_stats.cpp), and which
  /// ISRs never ran because they were reported inactive and kDrop dropped their deliveries.
  std::string DescribeStormSource(ULONG vector, const VectorState& state) const;
  std::string DescribeStormDevices(ULONG vector, const VectorState& state) const;
  std::string DescribeDroppedWhileInactive(const VectorState& state) const;
  /// For the storm report: "; the ISR ... claimed every one of the N deliveries" when exactly
  /// one ISR on the vector claimed all `dispatched` deliveries of the burst, else "".
  std::string DescribeStormClaimer(const VectorState& state, std::uint64_t dispatched) const;
  /// When no ISR claimed any delivery of a level burst: "; no ISR claimed any of the N
  /// deliveries: the ISR ... returned FALSE every time" (each named as in the claimer's text).
  std::string DescribeStormDecliners(const VectorState& state, std::uint64_t dispatched) const;
  void NoteLineAction(const char* action, const DeviceState& device);
  void NoteIsrBegin(ULONG vector, const ConnectionRecord& record, const InterruptObject& object,
                    unsigned message);
  void Unlink(ConnectionRecord& record);
  /// After Unlink: `record` joins the disconnected ones kept; the oldest beyond
  /// kKeptDisconnected that nothing pins is freed.
  void Retire(ConnectionRecord& record);
  /// Forgets `record` everywhere (objects, message table, its internal lock) and frees it.
  void Free(ConnectionRecord& record);
  /// Whether a driver still holds one of the record's kernel locks (its own, or a message's).
  bool AnyKernelLockHeld(ConnectionRecord& record) const;

  Kernel& kernel_;
  /// Connected records, and disconnected ones until Retire frees them; connect order.
  std::vector<std::unique_ptr<ConnectionRecord>> records_;
  std::deque<ConnectionRecord*> retired_;  ///< disconnected records still kept, oldest first
  std::map<PKINTERRUPT, InterruptObject*> objects_;
  std::map<PIO_INTERRUPT_MESSAGE_INFO, ConnectionRecord*> tables_;
  std::map<ULONG, VectorState> vectors_;  ///< never erased: pointers into it stay valid
  static constexpr ULONG kQuickVectors = 256;
  std::array<VectorState*, kQuickVectors> quick_vectors_{};  ///< vectors_ entries below 256
  std::vector<ScheduledEvent> scheduled_;
  /// Per vCPU, the innermost ISR running there (ISRs of higher vectors nest) or nullptr.
  std::vector<ConnectionRecord*> innermost_isr_;
  // An interrupt burst runs on one vCPU from an outermost DeliverPending (no ISR running on it)
  // until nothing is deliverable to it; it is the unit MachineOptions::storm_threshold bounds.
  std::uint64_t burst_ = 0;  ///< bursts so far, all vCPUs (Cpu::burst numbers them)
  /// Vectors with an edge latched plus level-triggered device lines asserted: while 0 nothing can
  /// be pending, so DeliverPending has nothing to scan. Never less than the true count.
  std::size_t raised_ = 0;
  /// The vectors with `raised` above 0, in vector order (as vectors_ is): what DeliverRaised scans,
  /// so a delivery costs the same with 1 device or 100.
  std::vector<VectorState*> raised_vectors_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_INTERRUPTS_HPP_
