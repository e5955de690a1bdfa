// KeRegisterBugCheckReasonCallback / KeDeregisterBugCheckReasonCallback: a
// KbCallbackSecondaryDumpData routine is asked for its crash-dump data when the machine stops on
// a bug check, at HIGH_LEVEL, and the test reads the data back from
// Machine::secondary_dump_data(); the reasons kemu does not model fail loudly by name.
#include <wdm.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kDriverCode = 0xE2;  // MANUALLY_INITIATED_CRASH
constexpr GUID kDumpGuid = {0x12345678, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};

UCHAR g_component[] = "kemu-nic";

// What one call of the callback saw.
struct Call {
  KBUGCHECK_CALLBACK_REASON reason;
  PKBUGCHECK_REASON_CALLBACK_RECORD record;
  ULONG length;
  KIRQL irql;
  bool size_request;  // OutBuffer was NULL
  bool out_is_in;     // OutBuffer was InBuffer
  ULONG in_length;
  ULONG maximum;
};

// The driver side: the bytes it puts in the dump, and where (the system's InBuffer or its own).
struct Driver {
  std::vector<Call> calls;
  std::vector<std::uint8_t> data;
  bool own_buffer = false;
  ULONG claimed_length = 0;  // 0: data.size()
  std::vector<int>* order = nullptr;
};

Driver* g_driver = nullptr;

VOID DumpDataCallback(KBUGCHECK_CALLBACK_REASON reason, PKBUGCHECK_REASON_CALLBACK_RECORD record,
                      PVOID reason_data, ULONG length) {
  Driver& driver = *g_driver;
  auto* dump = static_cast<PKBUGCHECK_SECONDARY_DUMP_DATA>(reason_data);
  driver.calls.push_back({reason, record, length, KeGetCurrentIrql(), dump->OutBuffer == nullptr,
                          dump->OutBuffer == dump->InBuffer, dump->InBufferLength,
                          dump->MaximumAllowed});
  if (driver.order != nullptr) driver.order->push_back(1);
  const ULONG size =
      driver.claimed_length != 0 ? driver.claimed_length : static_cast<ULONG>(driver.data.size());
  dump->Guid = kDumpGuid;
  dump->OutBufferLength = size;
  if (driver.own_buffer) {
    dump->OutBuffer = driver.data.data();
  } else if (dump->OutBuffer != nullptr) {
    // memcpy takes no NULL source, even for 0 bytes (an empty vector's data() may be NULL).
    if (!driver.data.empty()) std::memcpy(dump->InBuffer, driver.data.data(), driver.data.size());
    dump->OutBuffer = dump->InBuffer;
  }
}

class BugCheckReasonCallbackTest : public ::testing::Test {
 protected:
  BugCheckReasonCallbackTest() { g_driver = &driver_; }
  ~BugCheckReasonCallbackTest() override { g_driver = nullptr; }

  void Register() {
    KeInitializeCallbackRecord(&record_);
    ASSERT_TRUE(KeRegisterBugCheckReasonCallback(&record_, &DumpDataCallback,
                                                 KbCallbackSecondaryDumpData, g_component));
  }

  kemu::Machine machine_{kemu::Os::kWindows10};
  Driver driver_;
  KBUGCHECK_REASON_CALLBACK_RECORD record_{};
};

TEST_F(BugCheckReasonCallbackTest, SecondaryDumpDataIsAskedForItsSizeThenItsDataAtHighLevel) {
  driver_.data = {0xC0, 0xDE, 0x42};
  Register();
  EXPECT_EQ(record_.State, BufferInserted);
  EXPECT_EQ(record_.Reason, KbCallbackSecondaryDumpData);
  EXPECT_TRUE(driver_.calls.empty());

  EXPECT_THAT(CrashOf([] { KeBugCheckEx(kDriverCode, 1, 2, 3, 4); }),
              BugCheckIs(kDriverCode, 1, 2, 3, 4));

  ASSERT_EQ(driver_.calls.size(), 2u);
  for (const Call& call : driver_.calls) {
    EXPECT_EQ(call.reason, KbCallbackSecondaryDumpData);
    EXPECT_EQ(call.record, &record_);
    EXPECT_EQ(call.length, sizeof(KBUGCHECK_SECONDARY_DUMP_DATA));
    EXPECT_EQ(call.irql, HIGH_LEVEL);
    EXPECT_EQ(call.in_length, 0x1000u);
    EXPECT_EQ(call.maximum, 0x10000u);
  }
  EXPECT_TRUE(driver_.calls[0].size_request);
  EXPECT_TRUE(driver_.calls[1].out_is_in);
  EXPECT_EQ(record_.State, BufferFinished);

  ASSERT_EQ(machine_.secondary_dump_data().size(), 1u);
  const kemu::SecondaryDumpData& dump = machine_.secondary_dump_data()[0];
  EXPECT_EQ(dump.record, &record_);
  EXPECT_EQ(dump.component, "kemu-nic");
  EXPECT_EQ(dump.data, (std::vector<std::uint8_t>{0xC0, 0xDE, 0x42}));
  EXPECT_EQ(dump.guid, (std::array<std::uint8_t, 16>{0x78, 0x56, 0x34, 0x12, 0xBC, 0x9A, 0xF0, 0xDE,
                                                     1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(dump.bugcheck_code, kDriverCode);
}

TEST_F(BugCheckReasonCallbackTest, DataLargerThanInBufferComesFromTheDriversOwnBuffer) {
  driver_.data.assign(0x1800, 0x5A);
  driver_.own_buffer = true;
  Register();
  CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); });
  ASSERT_EQ(machine_.secondary_dump_data().size(), 1u);
  EXPECT_EQ(machine_.secondary_dump_data()[0].data, driver_.data);
}

TEST_F(BugCheckReasonCallbackTest, DataPastMaximumAllowedIsCutThere) {
  driver_.data.assign(0x10010, 0x7E);
  driver_.own_buffer = true;
  Register();
  CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); });
  ASSERT_EQ(machine_.secondary_dump_data().size(), 1u);
  EXPECT_EQ(machine_.secondary_dump_data()[0].data.size(), 0x10000u);
}

VOID PlainCallback(PVOID buffer, ULONG) { static_cast<std::vector<int>*>(buffer)->push_back(2); }

TEST_F(BugCheckReasonCallbackTest, ReasonCallbacksRunBeforeThePlainOnes) {
  std::vector<int> order;
  driver_.order = &order;
  driver_.data = {1};
  KBUGCHECK_CALLBACK_RECORD plain;
  KeInitializeCallbackRecord(&plain);
  ASSERT_TRUE(KeRegisterBugCheckCallback(&plain, &PlainCallback, &order, 0, g_component));
  Register();
  CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); });
  // Two calls for the dump's secondary data (size, then data), then the plain callback.
  EXPECT_EQ(order, (std::vector<int>{1, 1, 2}));
}

TEST_F(BugCheckReasonCallbackTest, DeregisteringTwiceReturnsFalseAndTheRoutineDoesNotRun) {
  Register();
  EXPECT_TRUE(KeDeregisterBugCheckReasonCallback(&record_));
  EXPECT_EQ(record_.State, BufferEmpty);
  EXPECT_FALSE(KeDeregisterBugCheckReasonCallback(&record_));
  CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); });
  EXPECT_TRUE(driver_.calls.empty());
  EXPECT_TRUE(machine_.secondary_dump_data().empty());
}

TEST_F(BugCheckReasonCallbackTest, ARecordRegisteredTwiceIsRefused) {
  Register();
  EXPECT_FALSE(KeRegisterBugCheckReasonCallback(&record_, &DumpDataCallback,
                                                KbCallbackSecondaryDumpData, g_component));
  EXPECT_TRUE(KeDeregisterBugCheckReasonCallback(&record_));
  machine_.Shutdown();
}

TEST_F(BugCheckReasonCallbackTest, EachReasonKemuDoesNotModelFailsAsNotModelledNamingIt) {
  const std::pair<KBUGCHECK_CALLBACK_REASON, const char*> reasons[] = {
      {KbCallbackInvalid, "KbCallbackInvalid"},
      {KbCallbackReserved1, "KbCallbackReserved1"},
      {KbCallbackDumpIo, "KbCallbackDumpIo"},
      {KbCallbackAddPages, "KbCallbackAddPages"},
      {KbCallbackSecondaryMultiPartDumpData, "KbCallbackSecondaryMultiPartDumpData"},
      {KbCallbackRemovePages, "KbCallbackRemovePages"},
      {KbCallbackTriageDumpData, "KbCallbackTriageDumpData"},
      {KbCallbackReserved2, "KbCallbackReserved2"},
      {KbCallbackReserved3, "KbCallbackReserved3"},
  };
  for (const auto& [reason, name] : reasons) {
    SCOPED_TRACE(name);
    KBUGCHECK_REASON_CALLBACK_RECORD record;
    KeInitializeCallbackRecord(&record);
    try {
      KeRegisterBugCheckReasonCallback(&record, &DumpDataCallback, reason, g_component);
      ADD_FAILURE() << "registered";
    } catch (const kemu::NotModelled& e) {
      EXPECT_THAT(
          e.routine(),
          HasSubstr(std::string("KeRegisterBugCheckReasonCallback with Reason ") + name + " ("));
    }
    EXPECT_EQ(record.State, BufferEmpty) << "nothing registered";
  }
  machine_.Shutdown();  // and nothing left registered
}

// A driver's KbCallbackAddPages routine, written against the reason's own structure
// (kemu_wdk_bugcheck.h): it compiles, and its registration fails loudly by name.
UCHAR g_trace_page[4096];
VOID AddPagesCallback(KBUGCHECK_CALLBACK_REASON, PKBUGCHECK_REASON_CALLBACK_RECORD,
                      PVOID reason_data, ULONG length) {
  if (length < sizeof(KBUGCHECK_ADD_PAGES)) return;
  auto* pages = static_cast<PKBUGCHECK_ADD_PAGES>(reason_data);
  pages->Flags = KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS;
  pages->Address = reinterpret_cast<ULONG_PTR>(g_trace_page);
  pages->Count = 1;
}

TEST_F(BugCheckReasonCallbackTest, AnAddPagesRoutineCompilesAndItsRegistrationIsNotModelled) {
  KBUGCHECK_REASON_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  try {
    KeRegisterBugCheckReasonCallback(&record, &AddPagesCallback, KbCallbackAddPages, g_component);
    ADD_FAILURE() << "registered";
  } catch (const kemu::NotModelled& e) {
    EXPECT_THAT(e.routine(),
                HasSubstr("KeRegisterBugCheckReasonCallback with Reason KbCallbackAddPages ("));
  }
  EXPECT_EQ(record.State, BufferEmpty);
  machine_.Shutdown();
}

TEST_F(BugCheckReasonCallbackTest, ARecordStillRegisteredAtShutdownIsALeak) {
  Register();
  const kemu::BugCheck crash = CrashOf([&] { machine_.Shutdown(); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1,
                                reinterpret_cast<std::uintptr_t>(&record_), 0));
  EXPECT_THAT(crash.report(),
              HasSubstr("(component \"kemu-nic\", KbCallbackSecondaryDumpData) is still registered "
                        "(KeRegisterBugCheckReasonCallback without "
                        "KeDeregisterBugCheckReasonCallback)"));
}

TEST(BugCheckReasonCallbackExportTest, Windows2000HasNoReasonCallbacks) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  KBUGCHECK_REASON_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  EXPECT_THROW(KeRegisterBugCheckReasonCallback(&record, &DumpDataCallback,
                                                KbCallbackSecondaryDumpData, g_component),
               kemu::MissingExport);
}

}  // namespace
