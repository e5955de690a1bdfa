// Connecting and disconnecting interrupts: IoConnectInterrupt, the common connection builder,
// IoDisconnectInterrupt(Ex) (docs/windows-facts.md §1, §3; conformance INT-8, INT-9, EX-6).
#include <fmt/format.h>

#include <algorithm>

#include "kemu/bugcheck.hpp"
#include "kemu/personality.hpp"
#include "model/devices.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr CSHORT kInterruptObjectType = 22;   // KOBJECTS InterruptObject
constexpr LONGLONG kMsiAddress = 0xFEE00000;  // x86/x64 MSI address window

// What IoConnectInterrupt's caller passed that its translated interrupt descriptor gave it.
struct LegacyIdentity {
  ULONG vector;
  KIRQL irql;
  KINTERRUPT_MODE mode;
  bool share;
  KAFFINITY mask;
};

// How many of Irql (Level), InterruptMode (Flags), ShareVector (ShareDisposition) and
// ProcessorEnableMask (Affinity) match what `device` was granted on the vector; -1 when it does
// not own the vector. `all`: the active processors (a translated affinity names no others).
int LegacyMatch(const DeviceState& device, const LegacyIdentity& call, KAFFINITY all) {
  if (!device.OwnsVector(call.vector)) return -1;
  if (device.HasLine()) {
    const LineInterrupt& line = *device.config.line;
    const KINTERRUPT_MODE mode = line.mode == Trigger::kEdge ? Latched : LevelSensitive;
    return int{call.irql == line.irql} + int{call.mode == mode} + int{call.share == line.shared} +
           int{call.mask == (static_cast<KAFFINITY>(line.affinity) & all)};
  }
  // A message: latched, exclusive, every processor.
  int score = int{call.mode == Latched} + int{!call.share} + int{call.mask == all};
  for (const MessageVector& message : device.messages) {
    if (message.vector == call.vector) return score + int{call.irql == message.irql};
  }
  return score;
}

// IoConnectInterrupt names no device: the connection is credited to the device, among those
// owning the vector and not connected yet, whose grant matches the most of what the caller
// passed (a driver copies its translated descriptor), the first added on a tie; none, none
// credited (docs/kernel.md, "Which device a legacy connection belongs to").
DeviceState* LegacyOwner(Devices& devices, const LegacyIdentity& call, KAFFINITY all) {
  DeviceState* best = nullptr;
  int best_score = -1;
  for (const auto& device : devices.all()) {
    if (device->connection != nullptr) continue;  // never take over a device's connection
    const int score = LegacyMatch(*device, call, all);
    if (score > best_score) {
      best = device.get();
      best_score = score;
    }
  }
  return best;
}

}  // namespace

InterruptObject* ConnectionRecord::SearchObjectFor(unsigned cpu) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (object_cpus[i] == cpu) return objects[i].get();
  }
  return nullptr;
}

void Interrupts::RequirePassive(const char* routine, std::uint64_t ddi_rule) {
  const KIRQL irql = kernel_.irql().Current();
  if (irql != PASSIVE_LEVEL) {
    kernel_.verifier().IrqlAboveMaximum(routine, irql, PASSIVE_LEVEL, ddi_rule);
  }
}

NTSTATUS Interrupts::ConnectLegacy(PKINTERRUPT* out, PKSERVICE_ROUTINE isr, PVOID context,
                                   PKSPIN_LOCK spin_lock, ULONG vector, KIRQL irql,
                                   KIRQL synchronize_irql, KINTERRUPT_MODE mode, BOOLEAN share,
                                   KAFFINITY mask, BOOLEAN floating) {
  static constexpr const char* kRoutine = "IoConnectInterrupt";
  RequirePassive(kRoutine, verifier_code::kIrqlIoPassive);
  kernel_.verifier().Dereferenced(kRoutine, out, "InterruptObject");
  *out = nullptr;  // INT-9: NULL on failure (UNCONFIRMED for Windows; docs/windows-facts.md §1.4)
  // Validation order follows docs/windows-facts.md §1.4: processors first, then the per-object
  // checks.
  if ((mask & kernel_.active_processors()) == 0) return STATUS_INVALID_PARAMETER;
  if (isr == nullptr) return STATUS_INVALID_PARAMETER;
  ConnectRequest request;
  if (const NTSTATUS status =
          CheckFullySpecified(irql, synchronize_irql, mode, spin_lock, request.passive);
      !NT_SUCCESS(status)) {
    return status;
  }
  request.device = LegacyOwner(
      kernel_.devices(),
      {.vector = vector, .irql = irql, .mode = mode, .share = share != FALSE, .mask = mask},
      kernel_.active_processors());
  request.isr = isr;
  request.context = context;
  request.spin_lock = spin_lock;
  request.vectors = {vector};
  request.vector_irqls = {irql};
  request.synchronize_irql = synchronize_irql;
  request.mode = mode;
  request.share = share != FALSE;
  request.affinity = mask;
  request.floating_save = floating != FALSE;
  request.legacy = true;
  if (const NTSTATUS status = CheckVectorSharing(request); !NT_SUCCESS(status)) return status;
  ConnectionRecord& record = Connect(request);
  // INT-10: an interrupt already pending may reach the ISR before the caller's variable is set.
  DeliverPending();
  *out = &record.objects.front()->k;
  return STATUS_SUCCESS;
}

NTSTATUS Interrupts::CheckFullySpecified(KIRQL irql, KIRQL synchronize_irql, KINTERRUPT_MODE mode,
                                         PKSPIN_LOCK spin_lock, bool& passive) const {
  const Personality& personality = kernel_.personality();
  // KINTERRUPT_MODE has the underlying type int (kemu_wdk_base.h): a C driver can pass any int.
  // Windows' reaction to an unknown mode is UNCONFIRMED; kemu refuses it.
  if (mode != LevelSensitive && mode != Latched) return STATUS_INVALID_PARAMETER;
  // The ISR runs at SynchronizeIrql: at least Irql, never above HIGH_LEVEL.
  if (synchronize_irql > HIGH_LEVEL || synchronize_irql < irql) return STATUS_INVALID_PARAMETER;
  if (irql == PASSIVE_LEVEL) {
    // Irql = SynchronizeIrql = PASSIVE_LEVEL asks for a passive-level ISR (Windows 8+), which
    // has no spin lock. Before Windows 8 no interrupt is at PASSIVE_LEVEL; the status for
    // such a connect is UNCONFIRMED.
    if (!personality.passive_isrs) return STATUS_INVALID_PARAMETER;
    passive = synchronize_irql == PASSIVE_LEVEL;
    return passive && spin_lock != nullptr ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
  }
  // Otherwise Irql is a device IRQL, below SYNCH_LEVEL. ReactOS refuses only Irql > HIGH_LEVEL;
  // refusing the other non-device levels too is kemu's choice (UNCONFIRMED).
  if (irql < kLowestDirql || irql > HighestDirql(personality)) return STATUS_INVALID_PARAMETER;
  return STATUS_SUCCESS;
}

NTSTATUS Interrupts::CheckVectorSharing(const ConnectRequest& request) const {
  for (ULONG vector : request.vectors) {
    auto it = vectors_.find(vector);
    if (it == vectors_.end()) continue;
    for (const Attachment& attached : it->second.chain) {
      const ConnectionRecord& other = *attached.record;
      // docs/windows-facts.md §9.3: sharing needs ShareVector on both sides and the same mode. The
      // Windows status for a conflict is UNCONFIRMED; STATUS_INVALID_PARAMETER as ReactOS returns
      // (docs/windows-facts.md §1.4).
      if (!other.share || !request.share || other.mode != request.mode) {
        return STATUS_INVALID_PARAMETER;
      }
    }
  }
  return STATUS_SUCCESS;
}

ConnectionRecord& Interrupts::Connect(const ConnectRequest& request) {
  auto owned = std::make_unique<ConnectionRecord>();
  ConnectionRecord& record = *owned;
  records_.push_back(std::move(owned));
  record.device = request.device;
  record.is_message_table = request.message_table;
  record.passive = request.passive;
  record.isr = request.isr;
  record.message_isr = request.message_isr;
  record.context = request.context;
  record.synchronize_irql = request.synchronize_irql;
  record.mode = request.mode;
  record.share = request.share;
  record.affinity = request.affinity & kernel_.active_processors();
  record.vectors = request.vectors;
  kernel_.spin_locks().Initialize(&record.internal_lock);
  // What the driver did before connecting happens before its ISR runs (which may be before the
  // connect call returns).
  kernel_.race().Release(&record);
  record.lock = request.spin_lock != nullptr ? request.spin_lock : &record.internal_lock;
  kernel_.race().NameInterruptLock(record.lock, &record);
  // A passive ISR is serialised by the kernel's event, not the lock: name it in race reports.
  if (record.passive) {
    kernel_.race().LockInitialized(&record.passive_busy,
                                   "event that serialises the passive-level ISR");
  }
  record.stats.version = request.version;
  record.stats.legacy = request.legacy;
  record.stats.message_count =
      request.message_table ? static_cast<std::uint32_t>(request.vectors.size()) : 0;
  record.stats.synchronize_irql = request.synchronize_irql;

  auto make_object = [&](unsigned cpu, unsigned message) {
    auto object = std::make_unique<InterruptObject>();
    KINTERRUPT& k = object->k;
    k.Type = kInterruptObjectType;
    k.Size = sizeof(KINTERRUPT);
    InitializeListHead(&k.InterruptListEntry);
    k.ServiceRoutine = request.isr;
    k.MessageServiceRoutine = request.message_isr;
    k.MessageIndex = message;
    k.ServiceContext = request.context;
    if (request.message_table && request.spin_lock == nullptr) {
      // Each message its own kernel lock, as each has its own interrupt object to synchronise
      // with (docs/windows-facts.md §2.8).
      kernel_.spin_locks().Initialize(&object->own_lock);
      object->lock = &object->own_lock;
      kernel_.race().NameInterruptLock(object->lock, object.get());
    } else {
      object->lock = record.lock;
    }
    k.ActualLock = object->lock;
    k.Vector = request.vectors[message];
    k.Irql = request.vector_irqls[message];
    k.SynchronizeIrql = request.synchronize_irql;
    k.FloatingSave = request.floating_save ? TRUE : FALSE;
    k.Connected = TRUE;
    k.Number = static_cast<CCHAR>(cpu);
    k.ShareVector = request.share ? TRUE : FALSE;
    k.Mode = request.mode;
    k.Polarity = request.mode == Latched ? InterruptRisingEdge : InterruptActiveLow;
    object->record = &record;
    object->message = message;
    objects_[&object->k] = object.get();
    record.objects.push_back(std::move(object));
    record.object_cpus.push_back(cpu);
  };
  if (request.message_table) {
    for (unsigned i = 0; i < request.vectors.size(); ++i) make_object(0, i);
    const std::size_t size = offsetof(IO_INTERRUPT_MESSAGE_INFO, MessageInfo) +
                             request.vectors.size() * sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY);
    record.message_table.assign(size, 0);
    PIO_INTERRUPT_MESSAGE_INFO table = record.table();
    table->UnifiedIrql = request.synchronize_irql;
    table->MessageCount = static_cast<ULONG>(request.vectors.size());
    for (unsigned i = 0; i < request.vectors.size(); ++i) {
      IO_INTERRUPT_MESSAGE_INFO_ENTRY& entry = table->MessageInfo[i];
      entry.MessageAddress.QuadPart = kMsiAddress;
      entry.TargetProcessorSet = record.affinity;
      entry.InterruptObject = &record.objects[i]->k;
      entry.MessageData = request.vectors[i];
      entry.Vector = request.vectors[i];
      entry.Irql = request.vector_irqls[i];
      entry.Mode = Latched;
      entry.Polarity = InterruptRisingEdge;
    }
    tables_[table] = &record;
  } else {
    for (unsigned cpu = 0; cpu < kernel_.processor_count(); ++cpu) {
      if (record.affinity & (KAFFINITY{1} << cpu)) make_object(cpu, 0);
    }
  }
  for (unsigned i = 0; i < request.vectors.size(); ++i) {
    VectorState& state = Vector(request.vectors[i]);
    if (state.chain.empty()) {
      state.irql = request.passive ? PASSIVE_LEVEL : request.vector_irqls[i];
      state.mode = request.mode;
    }
    state.chain.push_back({&record, i});
  }
  if (record.device != nullptr) record.device->connection = &record;
  if (innermost_isr_.size() < kernel_.processor_count()) {
    innermost_isr_.resize(kernel_.processor_count(), nullptr);
  }
  return record;
}

InterruptObject& Interrupts::Lookup(const char* routine, PKINTERRUPT interrupt) {
  auto it = objects_.find(interrupt);
  if (it == objects_.end()) {
    kernel_.verifier().InvalidInterruptObject(routine, interrupt, /*disconnected=*/false);
  }
  if (!it->second->record->connected) {
    kernel_.verifier().InvalidInterruptObject(routine, interrupt, /*disconnected=*/true);
  }
  return *it->second;
}

void Interrupts::Unlink(ConnectionRecord& record) {
  for (ULONG vector : record.vectors) {
    auto it = vectors_.find(vector);
    if (it == vectors_.end()) continue;
    std::erase_if(it->second.chain, [&](const Attachment& a) { return a.record == &record; });
  }
  record.connected = false;
  // An ISR already running on another vCPU returns before the disconnect does: a driver frees
  // what its ISR touches right after IoDisconnectInterrupt(Ex).
  if (record.isr_running > 0) {
    kernel_.scheduler().WaitUntil(
        {.ready = [&record] { return record.isr_running == 0; },
         .what = "the connection's ISR to return on another vCPU (IoDisconnectInterrupt(Ex))"});
  }
  // Every run of the ISR happens before the disconnect returns.
  kernel_.race().Acquire(reinterpret_cast<const char*>(&record) + 1);
  for (auto& object : record.objects) object->k.Connected = FALSE;
  if (record.device != nullptr && record.device->connection == &record) {
    // Copied, not pointed at: the record is freed once older than the last 256 disconnected,
    // and a test reads what the connection saw up to its end (the ISR calls made during the
    // driver's stop path included) after the stop. Nothing is delivered to it any longer.
    record.device->last_connection = record.stats;
    record.device->last_connection->pending = 0;
    record.device->connection = nullptr;
  }
  Retire(record);
}

void Interrupts::Retire(ConnectionRecord& record) {
  retired_.push_back(&record);
  // Not while anything still uses the oldest: a dispatch or KeSynchronizeExecution on another
  // vCPU, or a driver still holding its interrupt lock (the release is reported then).
  while (retired_.size() > kKeptDisconnected && retired_.front()->pins == 0 &&
         !AnyKernelLockHeld(*retired_.front())) {
    ConnectionRecord* oldest = retired_.front();
    retired_.pop_front();
    Free(*oldest);
  }
}

namespace {

// Only a message of a connection without a caller SpinLock uses its object's own lock.
bool UsesOwnLock(const InterruptObject& object) { return object.lock == &object.own_lock; }

}  // namespace

bool Interrupts::AnyKernelLockHeld(ConnectionRecord& record) const {
  if (kernel_.spin_locks().IsHeld(&record.internal_lock)) return true;
  return std::any_of(record.objects.begin(), record.objects.end(), [&](const auto& object) {
    return UsesOwnLock(*object) && kernel_.spin_locks().IsHeld(&object->own_lock);
  });
}

void Interrupts::Free(ConnectionRecord& record) {
  for (const auto& object : record.objects) {
    objects_.erase(&object->k);
    // ForgetRange walks the whole lock table: only for a lock that was ever one.
    if (UsesOwnLock(*object)) {
      kernel_.spin_locks().ForgetRange(&object->own_lock, &object->own_lock + 1);
    }
    kernel_.race().Forget(object.get(), sizeof(InterruptObject));
  }
  if (record.is_message_table) tables_.erase(record.table());
  kernel_.spin_locks().ForgetRange(&record.internal_lock, &record.internal_lock + 1);
  // The race detector keys the connect and ISR clocks, the ISR's logical threads and the
  // interrupt lock's name at the record: a record allocated later at this address is another
  // connection.
  kernel_.race().Forget(&record, sizeof(record));
  std::erase_if(records_, [&record](const auto& owned) { return owned.get() == &record; });
}

void Interrupts::Disconnect(const char* routine, PKINTERRUPT interrupt) {
  RequirePassive(routine, verifier_code::kIrqlIoPassive4);
  InterruptObject& object = Lookup(routine, interrupt);
  if (object.record->is_message_table) {
    kernel_.verifier().DisconnectMismatch(routine, CONNECT_FULLY_SPECIFIED,
                                          object.record->stats.version, interrupt);
  }
  RequireHandle(routine, interrupt, *object.record);
  Unlink(*object.record);
}

void Interrupts::RequireHandle(const char* routine, const void* passed,
                               const ConnectionRecord& record) {
  // The connect wrote one pointer back: the message table, or the first processor's object,
  // which stands for the whole set. Windows finds the set from it; another object of the set is
  // the middle of that allocation, and a message's object read as a table is garbage.
  const void* handle = record.is_message_table
                           ? static_cast<const void*>(record.message_table.data())
                           : static_cast<const void*>(&record.objects.front()->k);
  if (passed == handle) return;
  const auto part = std::find_if(record.objects.begin(), record.objects.end(),
                                 [passed](const auto& object) { return &object->k == passed; });
  if (part == record.objects.end()) return;  // not a part of it: the caller reports that
  const InterruptObject& object = **part;
  kernel_.verifier().ConnectionPartPassed(
      routine, passed, handle,
      record.is_message_table
          ? fmt::format("the interrupt object of message {} of a message-based connection, not "
                        "the message table IoConnectInterruptEx returned",
                        object.message)
          : fmt::format("the interrupt object of processor {} of the connection, not the one "
                        "its connect wrote back",
                        static_cast<int>(object.k.Number)));
}

ConnectionRecord& Interrupts::Identify(const char* routine, ULONG version, PVOID context) {
  ConnectionRecord* record = nullptr;
  if (auto table = tables_.find(static_cast<PIO_INTERRUPT_MESSAGE_INFO>(context));
      table != tables_.end()) {
    record = table->second;
  } else if (auto object = objects_.find(static_cast<PKINTERRUPT>(context));
             object != objects_.end()) {
    record = object->second->record;
  }
  if (record == nullptr || !record->connected) {
    kernel_.verifier().InvalidInterruptObject(routine, context, record != nullptr);
  }
  // docs/windows-facts.md §3: pass the Version the connect returned; a fully specified connection
  // may be named with either fully specified version (KMDF names a version 4 connection with 4),
  // where version 4 exists: before Windows 7, and in Iointex.lib, it is an unknown version.
  const ULONG connected = record->stats.version;
  const bool fully =
      connected == CONNECT_FULLY_SPECIFIED || connected == CONNECT_FULLY_SPECIFIED_GROUP;
  const bool group_known = (kernel_.personality().connect_versions &
                            ConnectVersionBit(CONNECT_FULLY_SPECIFIED_GROUP)) != 0;
  const bool matches = fully ? (version == CONNECT_FULLY_SPECIFIED ||
                                (version == CONNECT_FULLY_SPECIFIED_GROUP && group_known))
                             : version == connected;
  if (!matches) kernel_.verifier().DisconnectMismatch(routine, version, connected, context);
  RequireHandle(routine, context, *record);
  return *record;
}

void Interrupts::DisconnectEx(const char* routine, PIO_DISCONNECT_INTERRUPT_PARAMETERS parameters) {
  RequirePassive(routine);
  kernel_.verifier().Dereferenced(routine, parameters, "Parameters");
  Unlink(Identify(routine, parameters->Version, parameters->ConnectionContext.Generic));
}

std::vector<std::string> Interrupts::DescribeConnected() const {
  std::vector<std::string> out;
  for (const auto& record : records_) {
    if (!record->connected) continue;
    out.push_back(
        fmt::format("interrupt connection (CONNECT version {}) on vector {:#x}{}{} is "
                    "still connected",
                    record->stats.version, record->vectors.front(),
                    record->device != nullptr ? " of device " : "",
                    record->device != nullptr ? record->device->config.name : ""));
  }
  return out;
}

std::string Interrupts::DescribeLock(std::uintptr_t lock) const {
  // The newest connection first: an address a disconnected connection used may be in use again.
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    const ConnectionRecord& record = **it;
    if (record.passive) continue;  // a passive-level ISR runs under no spin lock
    const void* isr = record.is_message_table ? reinterpret_cast<const void*>(record.message_isr)
                                              : reinterpret_cast<const void*>(record.isr);
    const std::string of =
        fmt::format("the ISR {} on vector {:#x}{}{}{}", isr, record.vectors.front(),
                    record.device != nullptr ? " of device '" : "",
                    record.device != nullptr ? record.device->config.name : "",
                    record.device != nullptr ? "'" : "", record.connected ? "" : " (disconnected)");
    if (reinterpret_cast<std::uintptr_t>(record.lock) == lock) {
      return record.lock == &record.internal_lock
                 ? "the interrupt spin lock of " + of
                 : "the spin lock the driver gave IoConnectInterrupt(Ex) for " + of;
    }
    for (const auto& object : record.objects) {
      if (object->lock == &object->own_lock &&
          reinterpret_cast<std::uintptr_t>(object->lock) == lock) {
        return fmt::format("the interrupt spin lock of message {} of {}", object->message, of);
      }
    }
  }
  return "";
}

std::uintptr_t Interrupts::FirstConnected() const {
  for (const auto& record : records_) {
    if (record->connected) return reinterpret_cast<std::uintptr_t>(&record->objects.front()->k);
  }
  return 0;
}

}  // namespace kemu::model
