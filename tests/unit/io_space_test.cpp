// Device register and port doubles (emu/model/io_space.cpp, device_io.cpp, register_file.cpp):
// memory and port resources, MmMapIoSpace / MmUnmapIoSpace, READ_/WRITE_REGISTER_* and
// READ_/WRITE_PORT_* routing, kemu::RegisterFile side effects and the interrupt line they drive,
// and kemu::testing::MockRegisters. The driver side is the C core in io_space_driver.c.
#include <fmt/format.h>
#include <ntddk.h>  // MmGetPhysicalAddress

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "io_space_driver.h"
#include "kemu/testing/gtest.hpp"
#include "model/kernel.hpp"

namespace {

using ::kemu::testing::CrashOf;

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr std::uint32_t kBarBytes = 0x100;
constexpr std::uint32_t kPortBytes = 8;
constexpr std::uint64_t kFirstBar = 0xF0000000;
constexpr std::uint32_t kFirstPort = 0xE000;

kemu::LineInterrupt Line(kemu::Trigger mode = kemu::Trigger::kLevel) {
  return {.vector = kVector, .irql = kDirql, .mode = mode};
}

kemu::DeviceConfig Uart(kemu::Hardware* hardware = nullptr,
                        kemu::Trigger mode = kemu::Trigger::kLevel) {
  return {.name = "uart0",
          .line = Line(mode),
          .memory_bytes = kBarBytes,
          .port_bytes = kPortBytes,
          .hardware = hardware};
}

PHYSICAL_ADDRESS Physical(std::uint64_t address) {
  PHYSICAL_ADDRESS physical;
  physical.QuadPart = static_cast<LONGLONG>(address);
  return physical;
}

PUCHAR MapBar(const kemu::Device& device, std::uint32_t offset = 0,
              std::uint32_t bytes = kBarBytes) {
  return static_cast<PUCHAR>(
      MmMapIoSpace(Physical(device.memory_base() + offset), bytes, MmNonCached));
}

template <typename T>
volatile T* At(PUCHAR base, std::uint32_t offset) {
  return reinterpret_cast<volatile T*>(base + offset);
}

template <typename T>
T* Port(std::uint32_t port) {
  return reinterpret_cast<T*>(static_cast<std::uintptr_t>(port));
}

std::uint64_t Address(const volatile void* pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

const CM_PARTIAL_RESOURCE_LIST& Partials(PCM_RESOURCE_LIST list) {
  return list->List[0].PartialResourceList;
}

class IoSpaceTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, IoSpaceTest, kemu::testing::AllOs(), kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Resources.

TEST_P(IoSpaceTest, MemoryAndPortDescriptorsComeBeforeTheInterruptWithExactRanges) {
  kemu::Device& device = machine().AddDevice(Uart());

  for (PCM_RESOURCE_LIST list : {device.raw_resources(), device.translated_resources()}) {
    ASSERT_NE(list, nullptr);
    ASSERT_EQ(Partials(list).Count, 3u);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& memory = Partials(list).PartialDescriptors[0];
    EXPECT_EQ(memory.Type, CmResourceTypeMemory);
    EXPECT_EQ(memory.ShareDisposition, CmResourceShareDeviceExclusive);
    EXPECT_EQ(memory.Flags, CM_RESOURCE_MEMORY_READ_WRITE);
    // A copy: the descriptor is packed to 4, so the 8-byte field is misaligned.
    EXPECT_EQ(LONGLONG{memory.u.Memory.Start.QuadPart}, 0xF0000000);
    EXPECT_EQ(memory.u.Memory.Length, 0x100u);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& port = Partials(list).PartialDescriptors[1];
    EXPECT_EQ(port.Type, CmResourceTypePort);
    EXPECT_EQ(port.ShareDisposition, CmResourceShareDeviceExclusive);
    EXPECT_EQ(port.Flags, CM_RESOURCE_PORT_IO);
    EXPECT_EQ(LONGLONG{port.u.Port.Start.QuadPart}, 0xE000);
    EXPECT_EQ(port.u.Port.Length, 8u);
    EXPECT_EQ(Partials(list).PartialDescriptors[2].Type, CmResourceTypeInterrupt);
  }
  EXPECT_EQ(device.memory_base(), kFirstBar);
  EXPECT_EQ(device.port_base(), kFirstPort);
}

TEST(IoSpaceTest, EachDeviceGetsTheNextBarAndPortWindow) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.AddDevice({.name = "first", .memory_bytes = 0x1000});
  kemu::Device& second = machine.AddDevice({.name = "second", .port_bytes = 0x10});
  kemu::Device& third = machine.AddDevice({.name = "third", .memory_bytes = 0x40});

  EXPECT_EQ(second.memory_base(), 0u);  // no BAR asked for
  EXPECT_EQ(second.port_base(), 0xE100u);
  EXPECT_EQ(third.memory_base(), 0xF0200000u);
  // A device with only a BAR has a resource list with just that descriptor (no longer PNP-1's
  // NULL).
  ASSERT_NE(third.translated_resources(), nullptr);
  ASSERT_EQ(Partials(third.translated_resources()).Count, 1u);
  EXPECT_EQ(Partials(third.translated_resources()).PartialDescriptors[0].u.Memory.Length, 0x40u);
}

TEST(IoSpaceTest, ABarLargerThanOneMebibyteIsAHarnessError) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THROW(machine.AddDevice({.name = "huge", .memory_bytes = 0x100001}), kemu::Error);
  EXPECT_THROW(machine.AddDevice({.name = "ports", .port_bytes = 0x101}), kemu::Error);
}

TEST(IoSpaceTest, ADeviceWithoutHardwareGetsARegisterFileAsLargeAsItsLargerRange) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device =
      machine.AddDevice({.name = "dev", .memory_bytes = 0x40, .port_bytes = 0x80});
  auto* file = dynamic_cast<kemu::RegisterFile*>(device.hardware());
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->size(), 0x80u);
  EXPECT_EQ(machine.AddDevice({.name = "plain"}).hardware(), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Mapping and register access.

TEST_P(IoSpaceTest, RegistersRoundTripAtEveryWidthInLittleEndianOrder) {
  kemu::RegisterFile regs(kBarBytes);
  kemu::Device& device = machine().AddDevice(Uart(&regs));
  PUCHAR base = MapBar(device);
  ASSERT_NE(base, nullptr);

  WRITE_REGISTER_UCHAR(At<UCHAR>(base, 0x1), 0xAB);
  WRITE_REGISTER_USHORT(At<USHORT>(base, 0x2), 0xCDEF);
  WRITE_REGISTER_ULONG(At<ULONG>(base, 0x4), 0x12345678);
  WRITE_REGISTER_ULONG64(At<ULONG64>(base, 0x8), 0x0102030405060708);

  EXPECT_EQ(READ_REGISTER_UCHAR(At<UCHAR>(base, 0x1)), 0xAB);
  EXPECT_EQ(READ_REGISTER_USHORT(At<USHORT>(base, 0x2)), 0xCDEF);
  EXPECT_EQ(READ_REGISTER_ULONG(At<ULONG>(base, 0x4)), 0x12345678u);
  EXPECT_EQ(READ_REGISTER_ULONG64(At<ULONG64>(base, 0x8)), 0x0102030405060708u);
  EXPECT_EQ(READ_REGISTER_ULONG(At<ULONG>(base, 0x0)), 0xCDEFAB00u);
  EXPECT_EQ(regs.Peek(0x8), 0x05060708u);
  EXPECT_EQ(regs.Peek(0xC), 0x01020304u);
  MmUnmapIoSpace(base, kBarBytes);
}

TEST(IoSpaceTest, AMappingOfPartOfTheBarKeepsThePageOffsetAndRoutesFromItsPhysicalAddress) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  PUCHAR part = MapBar(device, 0x40, 0x10);
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(Address(part) & 0xFFF, 0x40u);

  WRITE_REGISTER_ULONG(At<ULONG>(part, 0x4), 7);
  EXPECT_EQ(regs.Peek(0x44), 7u);
  MmUnmapIoSpace(part, 0x10);
}

TEST(IoSpaceTest, MmGetPhysicalAddressOfAMappingIsTheDevicesAddressItMaps) {
  // MmGetPhysicalAddress answers for any valid nonpaged address; a mapping of device memory is
  // the device's physical range, not RAM (audit round 17: it was a page of RAM kemu made up).
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR part = MapBar(device, 0x40, 0x10);
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(static_cast<std::uint64_t>(MmGetPhysicalAddress(part).QuadPart),
            device.memory_base() + 0x40);
  EXPECT_EQ(static_cast<std::uint64_t>(MmGetPhysicalAddress(part + 0xF).QuadPart),
            device.memory_base() + 0x4F);
  MmUnmapIoSpace(part, 0x10);
}

TEST(IoSpaceTest, AccessesAlternatingBetweenTwoDevicesReachEachDevicesRegisters) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile first(kBarBytes);
  kemu::RegisterFile second(kBarBytes);
  kemu::Device& a = machine.AddDevice({.name = "a", .memory_bytes = kBarBytes, .hardware = &first});
  kemu::Device& b =
      machine.AddDevice({.name = "b", .memory_bytes = kBarBytes, .hardware = &second});
  PUCHAR base_a = MapBar(a);
  PUCHAR base_b = MapBar(b);

  WRITE_REGISTER_ULONG(At<ULONG>(base_a, 0x8), 1);
  WRITE_REGISTER_ULONG(At<ULONG>(base_b, 0x8), 2);
  WRITE_REGISTER_ULONG(At<ULONG>(base_a, 0xC), 3);

  EXPECT_EQ(first.Peek(0x8), 1u);
  EXPECT_EQ(second.Peek(0x8), 2u);
  EXPECT_EQ(first.Peek(0xC), 3u);
  EXPECT_EQ(second.Peek(0xC), 0u);
  MmUnmapIoSpace(base_a, kBarBytes);
  MmUnmapIoSpace(base_b, kBarBytes);
}

TEST(IoSpaceTest, MmMapIoSpaceOutsideEveryBarReturnsNull) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  EXPECT_EQ(MmMapIoSpace(Physical(0x1000), 0x100, MmNonCached), nullptr);  // RAM
  EXPECT_EQ(MapBar(device, 0xF8, 0x10), nullptr);  // runs past the end of the BAR
  EXPECT_EQ(MapBar(device, 0, 0), nullptr);
}

TEST(IoSpaceTest, EveryRegisterAccessIsRecordedAsAKernelCall) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  WRITE_REGISTER_USHORT(At<USHORT>(base, 0x6), 0x1234);

  const kemu::model::TraceEvent last = machine.kernel().trace().RecentCalls().back();
  EXPECT_STREQ(last.name, "WRITE_REGISTER_USHORT");
  ASSERT_EQ(last.arg_count, 2);
  EXPECT_EQ(last.args[0].value, Address(base + 6));
  EXPECT_EQ(last.args[1].value, 0x1234u);
  MmUnmapIoSpace(base, kBarBytes);
}

TEST(IoSpaceTest, BufferVariantsRepeatTheAccessOnTheSameRegister) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ::testing::StrictMock<kemu::testing::MockRegisters> regs;
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  PUCHAR base = MapBar(device);
  {
    ::testing::InSequence in_order;
    EXPECT_CALL(regs, Read(kemu::Space::kMemory, 0x20, 2))
        .WillOnce(Return(0x11))
        .WillOnce(Return(0x22))
        .WillOnce(Return(0x33));
    EXPECT_CALL(regs, Write(kemu::Space::kMemory, 0x24, 1, 'o'));
    EXPECT_CALL(regs, Write(kemu::Space::kMemory, 0x24, 1, 'k'));
  }
  USHORT words[3] = {};
  READ_REGISTER_BUFFER_USHORT(At<USHORT>(base, 0x20), words, 3);
  UCHAR text[] = {'o', 'k'};
  WRITE_REGISTER_BUFFER_UCHAR(At<UCHAR>(base, 0x24), text, 2);

  EXPECT_EQ(words[0], 0x11);
  EXPECT_EQ(words[1], 0x22);
  EXPECT_EQ(words[2], 0x33);
  MmUnmapIoSpace(base, kBarBytes);
}

// ---------------------------------------------------------------------------------------------
// Misuse.

TEST(IoSpaceTest, ReadingOutsideEveryMappingIsAPageFaultNamingTheAddress) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ULONG local = 0;
  const kemu::BugCheck crash = CrashOf([&] { READ_REGISTER_ULONG(&local); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kPageFaultInNonpagedArea, Address(&local)));
  EXPECT_EQ(crash.parameter(1), 0u);  // read
  EXPECT_THAT(crash.report(), HasSubstr("PAGE_FAULT_IN_NONPAGED_AREA"));
}

TEST(IoSpaceTest, WritingPastTheEndOfAMappingIsAPageFaultOnWrite) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device, 0, 0x10);
  // Starts inside the mapping, ends two bytes past it.
  const kemu::BugCheck crash = CrashOf([&] { WRITE_REGISTER_ULONG(At<ULONG>(base, 0xE), 1); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kPageFaultInNonpagedArea, Address(base + 0xE)));
  EXPECT_EQ(crash.parameter(1), 1u);  // write
  EXPECT_THAT(crash.report(), HasSubstr("The mapping of device 'uart0' at "));
  EXPECT_THAT(crash.report(), HasSubstr(" is 0x10 bytes long; this access starts at offset 0xe."));
}

TEST(IoSpaceTest, TheCDriverReadingPastItsMappingBugChecksThroughCFrames) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  IO_DRV_DEVICE drv{};
  ASSERT_EQ(IoDrvStart(&drv, device.translated_resources()), STATUS_SUCCESS);
  EXPECT_BUGCHECK(IoDrvReadUnmapped(&drv), bugcheck::kPageFaultInNonpagedArea);
}

TEST(IoSpaceTest, AccessAfterUnmappingIsAPageFault) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  MmUnmapIoSpace(base, kBarBytes);
  EXPECT_BUGCHECK(READ_REGISTER_UCHAR(base), bugcheck::kPageFaultInNonpagedArea);
}

TEST(IoSpaceTest, AccessAfterUnmappingAMappingJustUsedIsAPageFault) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  WRITE_REGISTER_UCHAR(base, 1);
  MmUnmapIoSpace(base, kBarBytes);
  EXPECT_BUGCHECK(READ_REGISTER_UCHAR(base), bugcheck::kPageFaultInNonpagedArea);
}

// A stop path that unmapped the BAR while a DPC still reads it: the report names the unmap, not
// "map the range first" (audit round 19, C3).
TEST(IoSpaceTest, AnAccessAfterTheUnmapNamesTheMappingAndTheUnmap) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  (void)READ_REGISTER_UCHAR(base + 4);
  MmUnmapIoSpace(base, kBarBytes);
  const std::uint64_t unmap_event = machine.kernel().trace().sequence();
  const kemu::BugCheck crash = CrashOf([&] { (void)READ_REGISTER_ULONG(At<ULONG>(base, 8)); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kPageFaultInNonpagedArea, Address(base + 8)));
  EXPECT_EQ(crash.parameter(1), 0u);  // read
  EXPECT_THAT(crash.report(), HasSubstr("The mapping of device 'uart0' at "));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("held it until MmUnmapIoSpace unmapped it at "
                                                    "trace event #{} on vCPU 0",
                                                    unmap_event)));
  EXPECT_THAT(crash.report(), Not(HasSubstr("Map the device's CmResourceTypeMemory range first")));
}

TEST(IoSpaceTest, AnAddressNeverMappedIsToldToMapTheRangeFirst) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ULONG local = 0;
  const kemu::BugCheck crash = CrashOf([&] { WRITE_REGISTER_ULONG(&local, 1); });
  EXPECT_THAT(crash.report(), HasSubstr("Map the device's CmResourceTypeMemory range first"));
  EXPECT_THAT(crash.report(), Not(HasSubstr("MmUnmapIoSpace")));
}

TEST(IoSpaceTest, MmMapIoSpaceAboveDispatchLevelIsVerifierViolation0x73) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  KIRQL old;
  KeRaiseIrql(kDirql, &old);
  const kemu::BugCheck crash = CrashOf([&] { MapBar(device, 0x10, 0x20); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kMapIoSpaceAboveDispatch));
  EXPECT_EQ(crash.parameter(0), 0x73u);
  EXPECT_EQ(crash.parameter(1), kDirql);
  EXPECT_EQ(crash.parameter(2), 0xF0000010u);
  EXPECT_EQ(crash.parameter(3), 0x20u);
}

TEST(IoSpaceTest, MmMapIoSpaceAboveDispatchLevelOnACheckedKernelIsIrqlNotLessOrEqual) {
  kemu::Machine machine({.os = kemu::Os::kWindowsXP, .verifier = false});
  kemu::Device& device = machine.AddDevice(Uart());
  KIRQL old;
  KeRaiseIrql(kDirql, &old);
  EXPECT_BUGCHECK(MapBar(device), bugcheck::kIrqlNotLessOrEqual);
}

TEST(IoSpaceTest, MmMapIoSpaceAboveDispatchLevelOnARetailKernelStillMaps) {
  kemu::Machine machine({.os = kemu::Os::kWindows7, .verifier = false, .checked_build = false});
  kemu::Device& device = machine.AddDevice(Uart());
  KIRQL old;
  KeRaiseIrql(kDirql, &old);
  PUCHAR base = MapBar(device);
  EXPECT_NE(base, nullptr);
  KeLowerIrql(old);
  MmUnmapIoSpace(base, kBarBytes);
}

TEST(IoSpaceTest, MmUnmapIoSpaceAboveDispatchLevelIsVerifiers0x7B) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  KIRQL old;
  KeRaiseIrql(kDirql, &old);
  // 0x7B: current IRQL, the virtual address being unmapped, the number of bytes.
  EXPECT_THAT(
      CrashOf([&] { MmUnmapIoSpace(base, kBarBytes); }),
      BugCheckIs(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kUnmapIoSpaceAboveApc,
                 kDirql, reinterpret_cast<std::uintptr_t>(base), kBarBytes));
}

TEST(IoSpaceTest, MmMapIoSpaceAtDispatchLevelIsAllowed) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PUCHAR base = MapBar(device);
  EXPECT_NE(base, nullptr);
  MmUnmapIoSpace(base, kBarBytes);
  KeLowerIrql(old);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(IoSpaceTest, UnmappingAnAddressNeverMappedIsVerifierViolationWithKemuSubCode) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UCHAR local[16];
  const kemu::BugCheck crash = CrashOf([&] { MmUnmapIoSpace(local, sizeof local); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kUnmapUnknownIoSpace));
  EXPECT_EQ(crash.parameter(0), 0x4B45000Bu);
  EXPECT_EQ(crash.parameter(1), Address(local));
  EXPECT_EQ(crash.parameter(2), 16u);
  EXPECT_EQ(crash.parameter(3), 0u);  // nothing is mapped there
}

TEST(IoSpaceTest, UnmappingWithAnotherSizeNamesTheMappedSize) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(Uart());
  PUCHAR base = MapBar(device);
  const kemu::BugCheck crash = CrashOf([&] { MmUnmapIoSpace(base, 0x10); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kUnmapUnknownIoSpace));
  EXPECT_EQ(crash.parameter(2), 0x10u);
  EXPECT_EQ(crash.parameter(3), kBarBytes);
}

TEST(IoSpaceTest, AMappingLeftAtShutdownIsALeak) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice({.name = "dev0", .memory_bytes = kBarBytes});
  PUCHAR base = MapBar(device);
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kLeakAtShutdown));
  EXPECT_EQ(crash.parameter(1), 1u);
  EXPECT_EQ(crash.parameter(2), Address(base));
  EXPECT_THAT(crash.report(), HasSubstr("MmMapIoSpace mapping of 0x100 bytes of device 'dev0' "
                                        "(physical 0xf0000000)"));
}

// ---------------------------------------------------------------------------------------------
// Ports.

TEST_P(IoSpaceTest, PortsRoundTripAtEveryWidthThroughTheSameRegisters) {
  kemu::RegisterFile regs(kBarBytes);
  kemu::Device& device = machine().AddDevice(Uart(&regs));
  const std::uint32_t base = device.port_base();

  WRITE_PORT_UCHAR(Port<UCHAR>(base + 1), 0x5A);
  WRITE_PORT_USHORT(Port<USHORT>(base + 2), 0xBEEF);
  WRITE_PORT_ULONG(Port<ULONG>(base + 4), 0xCAFEF00D);

  EXPECT_EQ(READ_PORT_UCHAR(Port<UCHAR>(base + 1)), 0x5A);
  EXPECT_EQ(READ_PORT_USHORT(Port<USHORT>(base + 2)), 0xBEEF);
  EXPECT_EQ(READ_PORT_ULONG(Port<ULONG>(base + 4)), 0xCAFEF00Du);
  EXPECT_EQ(regs.Peek(0), 0xBEEF5A00u);
}

TEST(IoSpaceTest, APortNoDeviceOwnsReadsAllOnesAndIgnoresWrites) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  WRITE_PORT_UCHAR(Port<UCHAR>(0x80), 0x12);  // POST code port: nobody there

  EXPECT_EQ(READ_PORT_UCHAR(Port<UCHAR>(0x80)), 0xFF);
  EXPECT_EQ(READ_PORT_USHORT(Port<USHORT>(0x3F8)), 0xFFFF);
  EXPECT_EQ(READ_PORT_ULONG(Port<ULONG>(0xCFC)), 0xFFFFFFFFu);
  // Straddling the end of the device's range is not the device's either.
  EXPECT_EQ(READ_PORT_ULONG(Port<ULONG>(device.port_base() + 6)), 0xFFFFFFFFu);
  WRITE_PORT_ULONG(Port<ULONG>(device.port_base() + 6), 0);
  EXPECT_EQ(regs.Peek(4), 0u);
}

TEST(IoSpaceTest, PortBufferVariantsRepeatTheAccessOnTheSamePort) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  std::vector<std::uint32_t> written;
  regs.OnWrite(0x4, [&](std::uint32_t value) { written.push_back(value); });
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  ULONG out[] = {1, 2, 3};
  WRITE_PORT_BUFFER_ULONG(Port<ULONG>(device.port_base() + 4), out, 3);
  ULONG in[2] = {};
  READ_PORT_BUFFER_ULONG(Port<ULONG>(device.port_base() + 4), in, 2);

  EXPECT_EQ(written, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(in[0], 3u);
  EXPECT_EQ(in[1], 3u);
}

TEST(IoSpaceTest, ADriverReadingAPortReachesTheMockWithThePortOffset) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ::testing::StrictMock<kemu::testing::MockRegisters> regs;
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  IO_DRV_DEVICE drv{};
  drv.Ports = Port<UCHAR>(device.port_base());
  EXPECT_CALL(regs, Read(kemu::Space::kPort, IO_DRV_PORT_LINE_STATUS, 1)).WillOnce(Return(0x60));
  EXPECT_EQ(IoDrvReadLineStatus(&drv), 0x60);
}

// ---------------------------------------------------------------------------------------------
// MockRegisters.

TEST(IoSpaceTest, StrictMockSeesTheDriversResetSequenceExactly) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ::testing::StrictMock<kemu::testing::MockRegisters> regs;
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  IO_DRV_DEVICE drv{};
  drv.Registers = MapBar(device);
  drv.RegistersLength = kBarBytes;
  {
    ::testing::InSequence in_order;
    EXPECT_CALL(regs, Write(kemu::Space::kMemory, IO_DRV_CONTROL, 4, IO_DRV_CONTROL_RESET));
    EXPECT_CALL(regs, Read(kemu::Space::kMemory, IO_DRV_CONTROL, 4))
        .WillOnce(Return(IO_DRV_CONTROL_RESET))  // still resetting: the driver polls again
        .WillOnce(Return(0));
    EXPECT_CALL(regs, Write(kemu::Space::kMemory, IO_DRV_ENABLE, 4, IO_DRV_CAUSE_RX));
  }
  IoDrvResetHardware(&drv);
  MmUnmapIoSpace(drv.Registers, kBarBytes);
}

TEST(IoSpaceTest, AMockDelegatingToARegisterFileBehavesLikeRegisters) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile file(kBarBytes);
  ::testing::NiceMock<kemu::testing::MockRegisters> regs;
  regs.DelegateTo(file);
  kemu::Device& device = machine.AddDevice(Uart(&regs));
  PUCHAR base = MapBar(device);
  WRITE_REGISTER_ULONG(At<ULONG>(base, 0x8), 42);
  EXPECT_EQ(READ_REGISTER_ULONG(At<ULONG>(base, 0x8)), 42u);
  EXPECT_EQ(file.Peek(0x8), 42u);
  MmUnmapIoSpace(base, kBarBytes);
}

}  // namespace
