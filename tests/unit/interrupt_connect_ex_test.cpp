// IoConnectInterruptEx / IoDisconnectInterruptEx and Iointex.lib's WdmlibIoConnectInterruptEx
// (emu/model/interrupt_connect_ex.cpp, interrupt_connect.cpp, emu/abi/io_interrupt.cpp). Facts:
// docs/windows-facts.md §2 and §3; conformance EX-2..EX-6, EX-8, EX-9. The kernel routine runs
// on every release that exports it; the library routine on every release. Disconnect misuse
// (EX-6), IRQL (EX-7) and INT-10 for these routines are in interrupt_connect_test.cpp.
#include <wdm.h>
// Default NTDDI (Windows 10): the kernel routines are declared, and iointex.h adds Wdmlib*.
#include <iointex.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::Property;
using ::testing::Throws;

constexpr ULONG kVector = 0x51;
constexpr ULONG kForeignVector = 0x77;  // assigned to no device
constexpr KIRQL kDirql = 5;
constexpr NTSTATUS kStatusNotSupported = static_cast<NTSTATUS>(0xC00000BBu);

// CONNECT_* versions each release accepts (docs/windows-facts.md §0, §2.2; EX-9), written out so
// that the personality table is checked as well.
bool AcceptsVersion(kemu::Os os, ULONG version) {
  if (version == CONNECT_FULLY_SPECIFIED_GROUP) return os >= kemu::Os::kWindows7;
  if (version == CONNECT_MESSAGE_BASED_PASSIVE) return os >= kemu::Os::kWindows8;
  return version >= CONNECT_FULLY_SPECIFIED && version <= CONNECT_MESSAGE_BASED &&
         os >= kemu::Os::kWindowsVista;
}

// What an ISR saw, reached through its ServiceContext.
struct IsrProbe {
  kemu::Device* device = nullptr;  // deasserted by the ISR: it acknowledges its device
  int calls = 0;
  PKINTERRUPT interrupt = nullptr;
  ULONG message = 0xFFFFFFFF;
  KIRQL irql = 0xFF;
};

BOOLEAN LineIsr(PKINTERRUPT interrupt, PVOID context) {
  auto* probe = static_cast<IsrProbe*>(context);
  if (probe == nullptr) return TRUE;
  ++probe->calls;
  probe->interrupt = interrupt;
  probe->irql = KeGetCurrentIrql();
  if (probe->device != nullptr) probe->device->DeassertLine();
  return TRUE;
}

BOOLEAN MessageIsr(PKINTERRUPT interrupt, PVOID context, ULONG message_id) {
  if (context != nullptr) static_cast<IsrProbe*>(context)->message = message_id;
  return LineIsr(interrupt, context);
}

kemu::LineInterrupt Line() { return {.vector = kVector, .irql = kDirql, .shared = true}; }
kemu::DeviceConfig LineDevice() { return {.name = "line0", .line = Line()}; }
kemu::DeviceConfig MsiDevice(unsigned messages = 4, bool msix = false) {
  return {.name = "msi0", .line = Line(), .messages = messages, .msix = msix};
}
kemu::DeviceConfig NoInterruptDevice() { return {.name = "plain0", .line = std::nullopt}; }

// Parameter blocks filled as the documentation's samples do.
IO_CONNECT_INTERRUPT_PARAMETERS FullySpecified(PDEVICE_OBJECT pdo, PKINTERRUPT* out,
                                               PVOID context = nullptr) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_FULLY_SPECIFIED;
  p.FullySpecified.PhysicalDeviceObject = pdo;
  p.FullySpecified.InterruptObject = out;
  p.FullySpecified.ServiceRoutine = &LineIsr;
  p.FullySpecified.ServiceContext = context;
  p.FullySpecified.SynchronizeIrql = kDirql;
  p.FullySpecified.ShareVector = TRUE;
  p.FullySpecified.Vector = kVector;
  p.FullySpecified.Irql = kDirql;
  p.FullySpecified.InterruptMode = LevelSensitive;
  p.FullySpecified.ProcessorEnableMask = ~KAFFINITY{0};
  return p;
}

IO_CONNECT_INTERRUPT_PARAMETERS LineBased(PDEVICE_OBJECT pdo, PKINTERRUPT* out,
                                          PVOID context = nullptr) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_LINE_BASED;
  p.LineBased.PhysicalDeviceObject = pdo;
  p.LineBased.InterruptObject = out;
  p.LineBased.ServiceRoutine = &LineIsr;
  p.LineBased.ServiceContext = context;
  return p;
}

// `variable` is the caller's PIO_INTERRUPT_MESSAGE_INFO (or PKINTERRUPT) that connect writes.
IO_CONNECT_INTERRUPT_PARAMETERS MessageBased(PDEVICE_OBJECT pdo, void* variable,
                                             PVOID context = nullptr,
                                             PKSERVICE_ROUTINE fallback = nullptr) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.PhysicalDeviceObject = pdo;
  p.MessageBased.ConnectionContext.Generic = static_cast<PVOID*>(variable);
  p.MessageBased.MessageServiceRoutine = &MessageIsr;
  p.MessageBased.ServiceContext = context;
  p.MessageBased.FallBackServiceRoutine = fallback;
  return p;
}

// IoDisconnectInterruptEx, or the library's WdmlibIoDisconnectInterruptEx.
void Disconnect(ULONG version, PVOID context,
                decltype(&IoDisconnectInterruptEx) routine = &IoDisconnectInterruptEx) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = version,
                                       .ConnectionContext = {.Generic = context}};
  routine(&d);
}

class IoConnectInterruptExTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(VistaAndLater, IoConnectInterruptExTest,
                         kemu::testing::OsWhere([](const kemu::Personality& p) {
                           return p.kernel_exports_connect_ex;
                         }),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Documented failures (docs/windows-facts.md §2.5, EX-5).

TEST_P(IoConnectInterruptExTest, EachDocumentedFailureReturnsItsStatusAndConnectsNothing) {  // EX-5
  kemu::Device& line = machine().AddDevice(LineDevice());
  kemu::Device& msi = machine().AddDevice(MsiDevice(4));
  kemu::Device& plain = machine().AddDevice(NoInterruptDevice());
  kemu::LineInterrupt other_cpu = {.vector = 0x52, .irql = kDirql, .affinity = 0b10};
  kemu::Device& remote = machine().AddDevice({.name = "remote", .line = other_cpu});
  PKINTERRUPT object = nullptr;
  PVOID context = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS empty_mask = FullySpecified(line.pdo(), &object);
  empty_mask.FullySpecified.ProcessorEnableMask = 0;
  IO_CONNECT_INTERRUPT_PARAMETERS foreign = FullySpecified(line.pdo(), &object);
  foreign.FullySpecified.Vector = kForeignVector;
  struct Case {
    const char* what;
    IO_CONNECT_INTERRUPT_PARAMETERS parameters;
    NTSTATUS status;
  } cases[] = {
      {"LINE_BASED, device granted several messages", LineBased(msi.pdo(), &object),
       STATUS_INVALID_DEVICE_REQUEST},
      // "Parameter 10" is IoConnectInterrupt's 10th, ProcessorEnableMask (docs/windows-facts.md
      // §2.5).
      {"FULLY_SPECIFIED, empty ProcessorEnableMask", empty_mask, STATUS_INVALID_PARAMETER_10},
      {"FULLY_SPECIFIED, vector not assigned to the device", foreign, STATUS_NOT_FOUND},
      {"LINE_BASED, device without interrupts", LineBased(plain.pdo(), &object), STATUS_NOT_FOUND},
      {"MESSAGE_BASED, no messages and no fallback", MessageBased(line.pdo(), &context),
       STATUS_NOT_FOUND},
      {"MESSAGE_BASED, device without interrupts",
       MessageBased(plain.pdo(), &context, nullptr, &LineIsr), STATUS_NOT_FOUND},
      // docs/windows-facts.md §2.3: the documentation's own sample forgets it; Windows' reaction is
      // UNCONFIRMED.
      {"MESSAGE_BASED, NULL ConnectionContext", MessageBased(msi.pdo(), nullptr),
       STATUS_INVALID_PARAMETER},
      // IoConnectInterrupt's "no processors" (docs/windows-facts.md §1.3). kemu used to build a
      // connection without a single interrupt object and crash.
      {"LINE_BASED, line routed to no processor", LineBased(remote.pdo(), &object),
       STATUS_INVALID_PARAMETER},
      {"MESSAGE_BASED fallback, line routed to no processor",
       MessageBased(remote.pdo(), &context, nullptr, &LineIsr), STATUS_INVALID_PARAMETER},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    const ULONG version = c.parameters.Version;
    EXPECT_EQ(IoConnectInterruptEx(&c.parameters), c.status);
    EXPECT_EQ(c.parameters.Version, version);
  }
  EXPECT_EQ(object, nullptr);
  EXPECT_EQ(context, nullptr);
  for (kemu::Device* device : {&line, &msi, &plain, &remote}) {
    EXPECT_EQ(device->connection(), nullptr) << device->name();
  }
}

TEST_P(IoConnectInterruptExTest, ANullPdoIsAnInvalidParameterForEveryVersion) {  // EX-5
  PKINTERRUPT interrupt = nullptr;
  PVOID context = nullptr;
  for (ULONG version = CONNECT_FULLY_SPECIFIED; version <= CONNECT_MESSAGE_BASED_PASSIVE;
       ++version) {
    if (!AcceptsVersion(GetParam(), version)) continue;
    SCOPED_TRACE(::testing::Message() << "Version " << version);
    IO_CONNECT_INTERRUPT_PARAMETERS p =
        version == CONNECT_LINE_BASED ? LineBased(nullptr, &interrupt)
        : version == CONNECT_MESSAGE_BASED || version == CONNECT_MESSAGE_BASED_PASSIVE
            ? MessageBased(nullptr, &context)
            : FullySpecified(nullptr, &interrupt);
    p.Version = version;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
  }
}

TEST_P(IoConnectInterruptExTest, AVersionTheReleaseDoesNotKnowIsInvalidParameter1) {  // EX-5
  kemu::Device& device = machine().AddDevice(LineDevice());
  for (ULONG version : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 0xFFFFFFFFu}) {
    EXPECT_EQ((machine().personality().connect_versions & kemu::ConnectVersionBit(version)) != 0,
              AcceptsVersion(GetParam(), version))
        << "personality table, Version " << version;
    if (AcceptsVersion(GetParam(), version)) continue;
    SCOPED_TRACE(::testing::Message() << "Version " << version);
    PKINTERRUPT interrupt = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p = FullySpecified(device.pdo(), &interrupt);
    p.Version = version;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER_1);
    EXPECT_EQ(p.Version, version) << "only Iointex.lib rewrites Version";
    EXPECT_EQ(device.connection(), nullptr);
  }
}

// ---------------------------------------------------------------------------------------------
// What is written back (docs/windows-facts.md §2.6), and disconnecting each flavour with it (EX-6).

TEST_P(IoConnectInterruptExTest, FullySpecifiedKeepsVersionAndWritesTheInterruptObject) {  // EX-6
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = FullySpecified(device.pdo(), &interrupt);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_FULLY_SPECIFIED);
  ASSERT_NE(interrupt, nullptr);
  EXPECT_EQ(interrupt->Vector, kVector);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_FALSE(device.connection()->legacy);

  // EX-6: either fully specified Version names it (KMDF disconnects with 4 whatever it used),
  // where version 4 exists (Windows 7 on; on Vista 4 is an unknown Version, audit round 14).
  Disconnect(
      GetParam() >= kemu::Os::kWindows7 ? CONNECT_FULLY_SPECIFIED_GROUP : CONNECT_FULLY_SPECIFIED,
      interrupt);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST_P(IoConnectInterruptExTest, FullySpecifiedGroupConnectsGroupZeroFromWindows7) {  // EX-9
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS group0 = FullySpecified(device.pdo(), &interrupt);
  group0.Version = CONNECT_FULLY_SPECIFIED_GROUP;
  IO_CONNECT_INTERRUPT_PARAMETERS group1 = group0;
  group1.FullySpecified.Group = 1;  // kemu machines have one processor group

  if (!AcceptsVersion(GetParam(), CONNECT_FULLY_SPECIFIED_GROUP)) {  // Vista
    EXPECT_EQ(IoConnectInterruptEx(&group0), STATUS_INVALID_PARAMETER_1);
    EXPECT_EQ(IoConnectInterruptEx(&group1), STATUS_INVALID_PARAMETER_1);
    return;
  }
  EXPECT_EQ(IoConnectInterruptEx(&group1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(device.connection(), nullptr);
  ASSERT_EQ(IoConnectInterruptEx(&group0), STATUS_SUCCESS);
  EXPECT_EQ(group0.Version, CONNECT_FULLY_SPECIFIED_GROUP);
  ASSERT_NE(interrupt, nullptr);
  EXPECT_EQ(device.connection()->version, CONNECT_FULLY_SPECIFIED_GROUP);

  Disconnect(CONNECT_FULLY_SPECIFIED_GROUP, interrupt);  // as KMDF does
  EXPECT_EQ(device.connection(), nullptr);
}

TEST_P(IoConnectInterruptExTest, LineBasedWritesTheObjectAndTreatsSynchronizeIrqlAsAMinimum) {
  kemu::Device& device = machine().AddDevice(LineDevice());
  for (KIRQL requested : {KIRQL{0}, KIRQL{8}}) {
    SCOPED_TRACE(::testing::Message() << "SynchronizeIrql " << int{requested});
    PKINTERRUPT interrupt = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt);
    p.LineBased.SynchronizeIrql = requested;

    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    EXPECT_EQ(p.Version, CONNECT_LINE_BASED);
    ASSERT_NE(interrupt, nullptr);
    EXPECT_EQ(interrupt->Vector, kVector);
    EXPECT_EQ(interrupt->Irql, kDirql);
    EXPECT_EQ(interrupt->SynchronizeIrql, std::max(requested, kDirql));
    EXPECT_EQ(interrupt->Mode, LevelSensitive);
    EXPECT_EQ(device.connection()->version, CONNECT_LINE_BASED);

    Disconnect(CONNECT_LINE_BASED, interrupt);
    EXPECT_EQ(device.connection(), nullptr);
  }
}

TEST_P(IoConnectInterruptExTest, MessageBasedReturnsATableOfEveryGrantedMessage) {  // EX-4
  kemu::Device& device = machine().AddDevice(MsiDevice(4));
  IsrProbe probe;
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &table, &probe);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_MESSAGE_BASED);
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->MessageCount, device.granted_messages());
  ASSERT_EQ(table->MessageCount, 4u);
  KIRQL highest = 0;
  std::set<PKINTERRUPT> objects;
  for (ULONG i = 0; i < table->MessageCount; ++i) {
    SCOPED_TRACE(::testing::Message() << "message " << i);
    const IO_INTERRUPT_MESSAGE_INFO_ENTRY& entry = table->MessageInfo[i];
    ASSERT_NE(entry.InterruptObject, nullptr);
    objects.insert(entry.InterruptObject);
    EXPECT_EQ(entry.Mode, Latched);
    EXPECT_EQ(entry.Irql, entry.Vector >> 4);
    EXPECT_EQ(entry.InterruptObject->Vector, entry.Vector);
    EXPECT_EQ(entry.InterruptObject->SynchronizeIrql, table->UnifiedIrql);
    EXPECT_EQ(entry.InterruptObject->MessageServiceRoutine, &MessageIsr);
    highest = std::max(highest, entry.Irql);
  }
  EXPECT_EQ(objects.size(), 4u);
  EXPECT_EQ(table->UnifiedIrql, highest);
  EXPECT_EQ(device.connection()->version, CONNECT_MESSAGE_BASED);
  EXPECT_EQ(device.connection()->message_count, 4u);
  EXPECT_EQ(device.connection()->synchronize_irql, table->UnifiedIrql);

  // The MessageID is the index into MessageInfo (docs/windows-facts.md §2.8).
  device.SignalMessage(2);
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.message, 2u);
  EXPECT_EQ(probe.interrupt, table->MessageInfo[2].InterruptObject);
  EXPECT_EQ(probe.irql, table->UnifiedIrql);

  Disconnect(CONNECT_MESSAGE_BASED, table);
  EXPECT_EQ(device.connection(), nullptr);
}

// A device's messages are its alone (its descriptor says CmResourceShareDeviceExclusive): a
// second connect of them is refused as any unshareable vector is (docs/windows-facts.md §9.3),
// so one message never runs two ISRs (audit round 20, E-S1).
TEST_P(IoConnectInterruptExTest, ASecondConnectOfTheSameMessagesIsRefused) {  // EX-4
  kemu::Device& device = machine().AddDevice(MsiDevice(2));
  IsrProbe first_probe;
  IsrProbe second_probe;
  PIO_INTERRUPT_MESSAGE_INFO first = nullptr;
  PIO_INTERRUPT_MESSAGE_INFO second = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &first, &first_probe);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  IO_CONNECT_INTERRUPT_PARAMETERS again = MessageBased(device.pdo(), &second, &second_probe);

  EXPECT_EQ(IoConnectInterruptEx(&again), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(second, nullptr);
  device.SignalMessage(0);
  EXPECT_EQ(first_probe.calls, 1);
  EXPECT_EQ(second_probe.calls, 0);
  Disconnect(CONNECT_MESSAGE_BASED, first);
}

TEST_P(IoConnectInterruptExTest, MessagesAFullySpecifiedConnectHoldsAreNotConnectedAgain) {
  kemu::Device& device = machine().AddDevice(MsiDevice(1));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS probe = MessageBased(device.pdo(), &table);
  ASSERT_EQ(IoConnectInterruptEx(&probe), STATUS_SUCCESS);
  const ULONG vector = table->MessageInfo[0].Vector;
  const KIRQL irql = table->MessageInfo[0].Irql;
  Disconnect(CONNECT_MESSAGE_BASED, table);
  // Version 1 from the translated message descriptor (docs/windows-facts.md §2.4).
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS fs = FullySpecified(device.pdo(), &interrupt);
  fs.FullySpecified.Vector = vector;
  fs.FullySpecified.Irql = irql;
  fs.FullySpecified.SynchronizeIrql = irql;
  fs.FullySpecified.InterruptMode = Latched;
  fs.FullySpecified.ShareVector = FALSE;
  ASSERT_EQ(IoConnectInterruptEx(&fs), STATUS_SUCCESS);
  PIO_INTERRUPT_MESSAGE_INFO second = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS again = MessageBased(device.pdo(), &second);

  EXPECT_EQ(IoConnectInterruptEx(&again), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(second, nullptr);
  Disconnect(CONNECT_FULLY_SPECIFIED, interrupt);
}

TEST_P(IoConnectInterruptExTest, UnifiedIrqlIsTheHighestMessageIrqlOrTheCallersIfHigher) {
  // 20 MSI-X messages span two x64 IRQLs (vectors 16 apart share one).
  kemu::Device& device = machine().AddDevice(MsiDevice(20, /*msix=*/true));
  const CM_PARTIAL_RESOURCE_LIST& resources =
      device.translated_resources()->List[0].PartialResourceList;
  for (KIRQL requested : {KIRQL{0}, KIRQL{12}}) {
    SCOPED_TRACE(::testing::Message() << "SynchronizeIrql " << int{requested});
    PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &table);
    p.MessageBased.SynchronizeIrql = requested;

    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    ASSERT_EQ(table->MessageCount, resources.Count);
    ULONG lowest = 0xFF;
    ULONG highest = 0;
    for (ULONG i = 0; i < table->MessageCount; ++i) {
      // Each entry describes the message of the matching MSI-X descriptor.
      const auto& translated = resources.PartialDescriptors[i].u.MessageInterrupt.Translated;
      EXPECT_EQ(table->MessageInfo[i].Vector, translated.Vector);
      EXPECT_EQ(table->MessageInfo[i].Irql, translated.Level);
      lowest = std::min<ULONG>(lowest, table->MessageInfo[i].Irql);
      highest = std::max<ULONG>(highest, table->MessageInfo[i].Irql);
    }
    ASSERT_LT(lowest, highest) << "the messages should not all share one IRQL";
    EXPECT_EQ(table->UnifiedIrql, std::max<ULONG>(requested, highest));

    Disconnect(CONNECT_MESSAGE_BASED, table);
  }
}

TEST_P(IoConnectInterruptExTest, MessageBasedFallsBackToTheLineAndRewritesVersion) {  // EX-4
  kemu::Device& device = machine().AddDevice(LineDevice());
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &interrupt, &probe, &LineIsr);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_LINE_BASED);
  ASSERT_NE(interrupt, nullptr);
  EXPECT_EQ(interrupt->ServiceRoutine, &LineIsr);
  EXPECT_EQ(interrupt->ServiceContext, &probe);
  EXPECT_EQ(interrupt->Vector, kVector);
  EXPECT_EQ(device.connection()->version, CONNECT_LINE_BASED);

  device.AssertLine();  // the fallback runs as an ordinary line ISR with the same context
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.interrupt, interrupt);

  Disconnect(p.Version, interrupt);  // the returned Version (docs/windows-facts.md §3)
  EXPECT_EQ(device.connection(), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Passive-level ISRs and CONNECT_MESSAGE_BASED_PASSIVE (Windows 8+, EX-9).

TEST(IoConnectInterruptExTest, PassiveIsrsRefuseASpinLockAndRunAtPassiveLevelFromWindows8) {
  for (kemu::Os os : kemu::AllOs()) {
    if (os < kemu::Os::kWindows8) continue;
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine(os);
    kemu::Device& line = machine.AddDevice(LineDevice());
    kemu::Device& msi = machine.AddDevice(MsiDevice(4));
    IsrProbe probe{.device = &line};
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    PKINTERRUPT interrupt = nullptr;
    PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
    // CONNECT_FULLY_SPECIFIED with Irql = SynchronizeIrql = PASSIVE_LEVEL (docs/windows-facts.md
    // §2.4).
    IO_CONNECT_INTERRUPT_PARAMETERS fp = FullySpecified(line.pdo(), &interrupt, &probe);
    fp.FullySpecified.Irql = fp.FullySpecified.SynchronizeIrql = PASSIVE_LEVEL;
    fp.FullySpecified.SpinLock = &lock;
    // CONNECT_MESSAGE_BASED_PASSIVE; its semantics are UNCONFIRMED (docs/windows-facts.md §2.4).
    IO_CONNECT_INTERRUPT_PARAMETERS mp = MessageBased(msi.pdo(), &table);
    mp.Version = CONNECT_MESSAGE_BASED_PASSIVE;
    mp.MessageBased.SpinLock = &lock;
    EXPECT_EQ(IoConnectInterruptEx(&fp), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(IoConnectInterruptEx(&mp), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(line.connection(), nullptr);
    EXPECT_EQ(msi.connection(), nullptr);

    fp.FullySpecified.SpinLock = mp.MessageBased.SpinLock = nullptr;
    ASSERT_EQ(IoConnectInterruptEx(&fp), STATUS_SUCCESS);
    line.AssertLine();
    EXPECT_EQ(probe.irql, PASSIVE_LEVEL) << probe.calls << " ISR calls";
    ASSERT_EQ(IoConnectInterruptEx(&mp), STATUS_SUCCESS);
    EXPECT_EQ(mp.Version, CONNECT_MESSAGE_BASED_PASSIVE);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->MessageCount, 4u);
    EXPECT_EQ(table->UnifiedIrql, PASSIVE_LEVEL);
    EXPECT_EQ(msi.connection()->version, CONNECT_MESSAGE_BASED_PASSIVE);

    Disconnect(CONNECT_FULLY_SPECIFIED, interrupt);
    Disconnect(CONNECT_MESSAGE_BASED_PASSIVE, table);
    EXPECT_EQ(msi.connection(), nullptr);
  }
}

// ---------------------------------------------------------------------------------------------
// Before Vista the kernel has no such routine (EX-2, EX-3).

TEST(IoConnectInterruptExTest, CallingTheKernelRoutinesBeforeVistaIsAMissingExport) {  // EX-3
  for (kemu::Os os : kemu::AllOs()) {
    if (os >= kemu::Os::kWindowsVista) continue;
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine(os);
    PKINTERRUPT interrupt = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p =
        FullySpecified(machine.AddDevice(LineDevice()).pdo(), &interrupt);
    EXPECT_THAT([&] { IoConnectInterruptEx(&p); },
                Throws<kemu::MissingExport>(
                    Property(&kemu::MissingExport::routine, "IoConnectInterruptEx")));
    EXPECT_THAT([] { Disconnect(CONNECT_FULLY_SPECIFIED, nullptr); },
                Throws<kemu::MissingExport>(
                    Property(&kemu::MissingExport::routine, "IoDisconnectInterruptEx")));
    EXPECT_EQ(interrupt, nullptr);
  }
}

// ---------------------------------------------------------------------------------------------
// Iointex.lib: WdmlibIoConnectInterruptEx on every release (docs/windows-facts.md §2.7, EX-2,
// EX-8).

class IointexTest : public kemu::testing::PersonalityTest {
 protected:
  bool KernelHasConnectEx() const { return GetParam() >= kemu::Os::kWindowsVista; }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, IointexTest, kemu::testing::AllOs(), kemu::testing::OsName());

void WdmlibDisconnect(ULONG v, PVOID c) { Disconnect(v, c, &WdmlibIoDisconnectInterruptEx); }

TEST_P(IointexTest, FullySpecifiedConnectsOnEveryRelease) {  // EX-2
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = FullySpecified(device.pdo(), &interrupt);

  ASSERT_EQ(WdmlibIoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_FULLY_SPECIFIED);
  ASSERT_NE(interrupt, nullptr);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_FALSE(device.connection()->legacy);

  WdmlibDisconnect(CONNECT_FULLY_SPECIFIED, interrupt);
  EXPECT_EQ(device.connection(), nullptr);
}

// The library's page lists STATUS_INVALID_PARAMETER_10 for an empty mask, before Vista too, where
// it forwards to IoConnectInterrupt (audit round 16, S4: kemu returned STATUS_INVALID_PARAMETER).
TEST_P(IointexTest, AnEmptyProcessorEnableMaskIsParameter10OnEveryRelease) {  // EX-2
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = FullySpecified(device.pdo(), &interrupt);
  p.FullySpecified.ProcessorEnableMask = 0;
  EXPECT_EQ(WdmlibIoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER_10);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

// The library's page lists STATUS_NOT_FOUND for a vector not assigned to the device, with no
// exception per release: before Vista too, where kemu connected it (audit round 20, E-S2).
TEST_P(IointexTest, AVectorThatIsNotTheDevicesIsNotFoundOnEveryRelease) {  // EX-2
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = FullySpecified(device.pdo(), &interrupt);
  p.FullySpecified.Vector = kForeignVector;
  EXPECT_EQ(WdmlibIoConnectInterruptEx(&p), STATUS_NOT_FOUND);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST_P(IointexTest, OnASharedLineEachDeviceOwnsTheConnectionItsPdoNamed) {  // EX-2
  // Before Vista the library forwards to IoConnectInterrupt, which credits the vector's first
  // free owner; the PDO must win (kemu credited the other device, a bug fixed with this test).
  kemu::Device& first_device = machine().AddDevice(LineDevice());
  kemu::Device& second_device = machine().AddDevice(LineDevice());
  PKINTERRUPT first = nullptr;
  PKINTERRUPT second = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS second_p = FullySpecified(second_device.pdo(), &second);
  IO_CONNECT_INTERRUPT_PARAMETERS first_p = FullySpecified(first_device.pdo(), &first);
  ASSERT_EQ(WdmlibIoConnectInterruptEx(&second_p), STATUS_SUCCESS);
  EXPECT_EQ(first_device.connection(), nullptr);
  ASSERT_EQ(WdmlibIoConnectInterruptEx(&first_p), STATUS_SUCCESS);

  ASSERT_NE(first_device.connection(), nullptr);
  ASSERT_NE(second_device.connection(), nullptr);
  EXPECT_NE(first_device.connection(), second_device.connection());
  WdmlibDisconnect(CONNECT_FULLY_SPECIFIED, second);
  EXPECT_EQ(second_device.connection(), nullptr);
  EXPECT_NE(first_device.connection(), nullptr);
  WdmlibDisconnect(CONNECT_FULLY_SPECIFIED, first);
  EXPECT_EQ(first_device.connection(), nullptr);
}

TEST_P(IointexTest, OtherVersionsFailAndRewriteVersionBeforeVistaAndConnectFromVista) {  // EX-2
  kemu::Device& line = machine().AddDevice(LineDevice());
  kemu::Device& msi = machine().AddDevice(MsiDevice());
  PKINTERRUPT interrupt = nullptr;
  PVOID context = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS lp = LineBased(line.pdo(), &interrupt);
  IO_CONNECT_INTERRUPT_PARAMETERS mp = MessageBased(msi.pdo(), &context, nullptr, &LineIsr);

  if (!KernelHasConnectEx()) {
    // The status is undocumented; STATUS_NOT_SUPPORTED is kemu's choice (docs/windows-facts.md
    // §2.7).
    EXPECT_EQ(machine().personality().iointex_status, kStatusNotSupported);
    // Every Version but CONNECT_FULLY_SPECIFIED, known to later kernels or to none.
    IO_CONNECT_INTERRUPT_PARAMETERS group = FullySpecified(line.pdo(), &interrupt);
    IO_CONNECT_INTERRUPT_PARAMETERS passive = mp;
    IO_CONNECT_INTERRUPT_PARAMETERS unknown = lp;
    group.Version = CONNECT_FULLY_SPECIFIED_GROUP;
    passive.Version = CONNECT_MESSAGE_BASED_PASSIVE;
    unknown.Version = 6;
    for (IO_CONNECT_INTERRUPT_PARAMETERS* p : {&lp, &mp, &group, &passive, &unknown}) {
      EXPECT_EQ(WdmlibIoConnectInterruptEx(p), kStatusNotSupported);
      EXPECT_EQ(p->Version, CONNECT_FULLY_SPECIFIED);
    }
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(context, nullptr);
    EXPECT_EQ(line.connection(), nullptr);
    EXPECT_EQ(msi.connection(), nullptr);
    return;
  }
  // From Vista the library routine is the kernel's (docs/windows-facts.md §2.7).
  ASSERT_EQ(WdmlibIoConnectInterruptEx(&lp), STATUS_SUCCESS);
  EXPECT_EQ(lp.Version, CONNECT_LINE_BASED);
  ASSERT_EQ(WdmlibIoConnectInterruptEx(&mp), STATUS_SUCCESS);
  EXPECT_EQ(mp.Version, CONNECT_MESSAGE_BASED);
  EXPECT_EQ(static_cast<PIO_INTERRUPT_MESSAGE_INFO>(context)->MessageCount, 4u);
  WdmlibDisconnect(lp.Version, interrupt);
  WdmlibDisconnect(mp.Version, context);
}

TEST_P(IointexTest, ANullPdoANullIsrOrSynchronizeIrqlBelowIrqlIsAnInvalidParameter) {  // EX-2
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS no_pdo = FullySpecified(nullptr, &interrupt);
  IO_CONNECT_INTERRUPT_PARAMETERS no_isr = FullySpecified(device.pdo(), &interrupt);
  no_isr.FullySpecified.ServiceRoutine = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS low_sync = FullySpecified(device.pdo(), &interrupt);
  low_sync.FullySpecified.SynchronizeIrql = kDirql - 1;

  EXPECT_EQ(WdmlibIoConnectInterruptEx(&no_pdo), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(WdmlibIoConnectInterruptEx(&no_isr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(WdmlibIoConnectInterruptEx(&low_sync), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

// EX-8: the documented fallback, as a driver's StartDevice would write it.
NTSTATUS ConnectLikeTheDocumentation(kemu::Device& device, IO_CONNECT_INTERRUPT_PARAMETERS* p,
                                     PVOID* context) {
  *p = MessageBased(device.pdo(), context);
  NTSTATUS status = WdmlibIoConnectInterruptEx(p);
  if (NT_SUCCESS(status) || p->Version != CONNECT_FULLY_SPECIFIED) return status;
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& d =
      device.translated_resources()->List[0].PartialResourceList.PartialDescriptors[0];
  *p = FullySpecified(device.pdo(), reinterpret_cast<PKINTERRUPT*>(context));
  p->FullySpecified.Vector = d.u.Interrupt.Vector;
  p->FullySpecified.Irql = static_cast<KIRQL>(d.u.Interrupt.Level);
  p->FullySpecified.SynchronizeIrql = static_cast<KIRQL>(d.u.Interrupt.Level);
  p->FullySpecified.ProcessorEnableMask = d.u.Interrupt.Affinity;
  p->FullySpecified.InterruptMode =
      (d.Flags & CM_RESOURCE_INTERRUPT_LATCHED) ? Latched : LevelSensitive;
  p->FullySpecified.ShareVector = d.ShareDisposition == CmResourceShareShared;
  return WdmlibIoConnectInterruptEx(p);
}

TEST_P(IointexTest, TheDocumentedFallbackConnectsMessagesFromVistaAndTheLineBefore) {  // EX-8
  kemu::Device& device = machine().AddDevice(MsiDevice(4));
  IO_CONNECT_INTERRUPT_PARAMETERS p;
  PVOID context = nullptr;

  ASSERT_EQ(ConnectLikeTheDocumentation(device, &p, &context), STATUS_SUCCESS);
  ASSERT_NE(context, nullptr);
  const ULONG expected =
      KernelHasConnectEx() ? ULONG{CONNECT_MESSAGE_BASED} : ULONG{CONNECT_FULLY_SPECIFIED};
  EXPECT_EQ(p.Version, expected);
  EXPECT_EQ(device.connection()->version, expected);
  EXPECT_EQ(device.connection()->message_count, KernelHasConnectEx() ? 4u : 0u);

  WdmlibDisconnect(p.Version, context);
  EXPECT_EQ(device.connection(), nullptr);
}

}  // namespace
