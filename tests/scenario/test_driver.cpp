// The runner tests' driver: WDK calls only, as small as a driver that connects, services and
// disconnects an interrupt can be.
#include "test_driver.hpp"

#include <iointex.h>

namespace kemu::scenario::test {
namespace {

PCM_PARTIAL_RESOURCE_DESCRIPTOR Find(PCM_RESOURCE_LIST list, UCHAR type, bool line) {
  if (list == nullptr || list->Count == 0) return nullptr;
  PCM_PARTIAL_RESOURCE_LIST partial = &list->List[0].PartialResourceList;
  for (ULONG i = 0; i < partial->Count; ++i) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &partial->PartialDescriptors[i];
    if (d->Type != type) continue;
    if (line && (d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) != 0) continue;
    return d;
  }
  return nullptr;
}

}  // namespace

RegisterSpec TestRegisters() {
  RegisterSpec spec;
  spec.size = kBarBytes;
  spec.write_one_to_clear = {kIntStatus};
  spec.interrupt_status = {{kIntStatus, 0x1}};
  return spec;
}

Hardware* TestAdapter::HardwareFor(const DeviceConfig& config) {
  if (!options_.own_hardware || config.memory_bytes == 0) return nullptr;
  auto file = std::make_unique<RegisterFile>(kBarBytes);
  file->WriteOneToClear(kIntStatus).InterruptStatus(kIntStatus, 0x1);
  hardware_.push_back(std::move(file));
  return hardware_.back().get();
}

volatile ULONG* TestAdapter::Register(std::uint32_t offset) const {
  return reinterpret_cast<volatile ULONG*>(registers_ + offset);
}

NTSTATUS TestAdapter::Start(Device& device) {
  PCM_RESOURCE_LIST translated = device.translated_resources();
  PCM_PARTIAL_RESOURCE_DESCRIPTOR memory = Find(translated, CmResourceTypeMemory, false);
  if (memory == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  register_bytes_ = memory->u.Memory.Length;
  registers_ =
      static_cast<PUCHAR>(MmMapIoSpace(memory->u.Memory.Start, register_bytes_, MmNonCached));
  if (registers_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeDpc(&dpc_, &TestAdapter::Dpc, this);
  KeInitializeSpinLock(&lock_);
  const NTSTATUS status = Connect(device);
  if (!NT_SUCCESS(status)) {
    MmUnmapIoSpace(registers_, register_bytes_);
    registers_ = nullptr;
    return status;
  }
  WRITE_REGISTER_ULONG(Register(kControl), 1);
  return STATUS_SUCCESS;
}

NTSTATUS TestAdapter::Connect(Device& device) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.PhysicalDeviceObject = device.pdo();
  p.MessageBased.ConnectionContext.Generic = &connection_;
  p.MessageBased.MessageServiceRoutine = &TestAdapter::MessageIsr;
  p.MessageBased.ServiceContext = this;
  p.MessageBased.SpinLock = &lock_;
  p.MessageBased.FallBackServiceRoutine = &TestAdapter::LineIsr;
  NTSTATUS status = WdmlibIoConnectInterruptEx(&p);
  PCM_PARTIAL_RESOURCE_DESCRIPTOR line =
      Find(device.translated_resources(), CmResourceTypeInterrupt, true);
  if (!NT_SUCCESS(status) && p.Version == CONNECT_FULLY_SPECIFIED && line != nullptr) {
    const KIRQL irql = static_cast<KIRQL>(line->u.Interrupt.Level);
    p = IO_CONNECT_INTERRUPT_PARAMETERS{};
    p.Version = CONNECT_FULLY_SPECIFIED;
    p.FullySpecified.PhysicalDeviceObject = device.pdo();
    p.FullySpecified.InterruptObject = reinterpret_cast<PKINTERRUPT*>(&connection_);
    p.FullySpecified.ServiceRoutine = &TestAdapter::LineIsr;
    p.FullySpecified.ServiceContext = this;
    p.FullySpecified.SpinLock = &lock_;
    p.FullySpecified.SynchronizeIrql = irql;
    p.FullySpecified.ShareVector = line->ShareDisposition == CmResourceShareShared;
    p.FullySpecified.Vector = line->u.Interrupt.Vector;
    p.FullySpecified.Irql = irql;
    p.FullySpecified.InterruptMode =
        (line->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
    p.FullySpecified.ProcessorEnableMask = line->u.Interrupt.Affinity;
    status = WdmlibIoConnectInterruptEx(&p);
  }
  if (NT_SUCCESS(status)) version_ = p.Version;
  return status;
}

void TestAdapter::Stop(Device& device) {
  (void)device;
  if (version_ == 0) return;
  WRITE_REGISTER_ULONG(Register(kControl), 0);
  IO_DISCONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = version_;
  p.ConnectionContext.Generic = connection_;
  WdmlibIoDisconnectInterruptEx(&p);
  if (options_.flush_at_stop) KeFlushQueuedDpcs();
  version_ = 0;
  MmUnmapIoSpace(registers_, register_bytes_);
  registers_ = nullptr;
}

BOOLEAN TestAdapter::Service() {
  if ((READ_REGISTER_ULONG(Register(kIntStatus)) & 1) == 0) return FALSE;
  if (options_.acknowledge) WRITE_REGISTER_ULONG(Register(kIntStatus), 1);
  ++isr_claims_;
  KeInsertQueueDpc(&dpc_, nullptr, nullptr);
  return TRUE;
}

BOOLEAN TestAdapter::LineIsr(PKINTERRUPT interrupt, PVOID context) {
  (void)interrupt;
  return static_cast<TestAdapter*>(context)->Service();
}

BOOLEAN TestAdapter::MessageIsr(PKINTERRUPT interrupt, PVOID context, ULONG message_id) {
  (void)interrupt;
  (void)message_id;
  return static_cast<TestAdapter*>(context)->Service();
}

VOID TestAdapter::Dpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  ++static_cast<TestAdapter*>(context)->dpc_runs_;
}

std::vector<ActionInfo> TestAdapter::Actions() const {
  return {
      {.name = "ring", .parameters = {"value"}, .help = "write DOORBELL", .needs_started = true},
      {.name = "read",
       .parameters = {"offset"},
       .help = "read a register into last_read",
       .needs_started = true},
      {.name = "leak", .parameters = {}, .help = "raise to DISPATCH_LEVEL and stay there"},
      {.name = "queue_dpc", .parameters = {"processor"}, .help = "queue the DPC there"}};
}

void TestAdapter::Act(const std::string& action, const ActionArgs& args, Device& device) {
  (void)device;
  if (action == "ring") {
    WRITE_REGISTER_ULONG(Register(kDoorbell), static_cast<ULONG>(args.Unsigned("value", 1)));
  } else if (action == "read") {
    last_read_ =
        READ_REGISTER_ULONG(Register(static_cast<std::uint32_t>(args.Unsigned("offset", 0))));
  } else if (action == "queue_dpc") {
    KeSetTargetProcessorDpc(&dpc_, static_cast<CCHAR>(args.Unsigned("processor", 0)));
    KeInsertQueueDpc(&dpc_, nullptr, nullptr);
  } else if (action == "leak") {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  } else {
    DriverAdapter::Act(action, args, device);
  }
}

std::vector<std::string> TestAdapter::Probes() const {
  return {"dpc_runs", "isr_claims", "last_read"};
}

std::int64_t TestAdapter::Probe(const std::string& probe, Device& device) {
  if (probe == "dpc_runs") return dpc_runs_;
  if (probe == "isr_claims") return isr_claims_;
  if (probe == "last_read") return last_read_;
  return DriverAdapter::Probe(probe, device);
}

AdapterFactory TestFactory(TestDriverOptions options) {
  return [options] { return std::make_unique<TestAdapter>(options); };
}

}  // namespace kemu::scenario::test
