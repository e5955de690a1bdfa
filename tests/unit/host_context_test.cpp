// model::HostContext, whichever implementation this build has (KEMU_VCPU_CONTEXTS): control
// passes only by SwitchTo, a body's end hands control on, and each context keeps its own C++
// exception state and floating-point modes across switches.
#include "model/host_context.hpp"

#include <gtest/gtest.h>

#include <cfenv>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace kemu::model {
namespace {

TEST(HostContextTest, ControlPassesOnlyAtSwitchesAndTheBodyEndHandsItOn) {
  std::vector<std::string> order;
  HostContext test;
  HostContext* worker_ptr = nullptr;
  HostContext worker(test, [&] {
    order.push_back("worker starts");
    worker_ptr->SwitchTo(test);
    order.push_back("worker resumes");
    return &test;
  });
  worker_ptr = &worker;
  order.push_back("test");
  test.SwitchTo(worker);
  order.push_back("test resumes");
  test.SwitchTo(worker);
  order.push_back("test after the worker ended");
  EXPECT_EQ(order, (std::vector<std::string>{"test", "worker starts", "test resumes",
                                             "worker resumes", "test after the worker ended"}));
}

TEST(HostContextTest, ContextsPassControlAmongThemselves) {
  std::vector<int> order;
  HostContext test;
  HostContext* a_ptr = nullptr;
  HostContext* b_ptr = nullptr;
  HostContext a(test, [&] {
    order.push_back(1);
    a_ptr->SwitchTo(*b_ptr);
    order.push_back(3);
    return b_ptr;
  });
  HostContext b(test, [&] {
    order.push_back(2);
    b_ptr->SwitchTo(*a_ptr);
    order.push_back(4);
    return &test;
  });
  a_ptr = &a;
  b_ptr = &b;
  test.SwitchTo(a);
  order.push_back(5);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

// The floating-point modes are the caller's to keep across a call, so a switch saves and restores
// them like the other registers it must keep: a driver's DPC that changes the rounding mode on one
// vCPU leaves the test's code on another with its own.
TEST(HostContextTest, EachContextKeepsItsOwnFloatingPointRoundingMode) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::vector<int> seen;
  HostContext test;
  HostContext* worker_ptr = nullptr;
  HostContext worker(test, [&] {
    std::fesetround(FE_UPWARD);
    worker_ptr->SwitchTo(test);
    seen.push_back(std::fegetround());
    std::fesetround(FE_DOWNWARD);
    return &test;
  });
  worker_ptr = &worker;
  test.SwitchTo(worker);
  seen.push_back(std::fegetround());
  test.SwitchTo(worker);
  seen.push_back(std::fegetround());
  std::fesetround(FE_TONEAREST);
  EXPECT_EQ(seen, (std::vector<int>{FE_TONEAREST, FE_UPWARD, FE_TONEAREST}));
}

// A vCPU may switch away inside a catch block or while an exception unwinds its stack (a
// destructor that reaches a schedule point); another vCPU that throws and catches meanwhile must
// not disturb what it finds when it resumes.
TEST(HostContextTest, EachContextKeepsItsOwnExceptionState) {
  HostContext test;
  HostContext* worker_ptr = nullptr;
  int worker_uncaught_inside_unwind = -1;
  std::string worker_rethrown;
  HostContext worker(test, [&] {
    try {
      throw std::runtime_error("worker's");
    } catch (const std::exception&) {
      struct SwitchesWhileUnwinding {
        HostContext& from;
        HostContext& to;
        int& seen;
        ~SwitchesWhileUnwinding() {
          seen = std::uncaught_exceptions();
          from.SwitchTo(to);
        }
      };
      try {
        // Switches to the test mid-catch; the test throws and catches before coming back.
        worker_ptr->SwitchTo(test);
        try {
          SwitchesWhileUnwinding guard{*worker_ptr, test, worker_uncaught_inside_unwind};
          throw std::logic_error("unwinding");
        } catch (const std::logic_error&) {
        }
        throw;  // the exception being handled must still be the worker's own
      } catch (const std::runtime_error& error) {
        worker_rethrown = error.what();
      }
    }
    return &test;
  });
  worker_ptr = &worker;
  test.SwitchTo(worker);
  EXPECT_EQ(std::uncaught_exceptions(), 0);
  try {
    throw std::out_of_range("test's");
  } catch (const std::out_of_range&) {
    test.SwitchTo(worker);  // the worker switches back from a destructor while unwinding
    EXPECT_EQ(std::uncaught_exceptions(), 0);
  }
  test.SwitchTo(worker);
  EXPECT_EQ(worker_uncaught_inside_unwind, 1);
  EXPECT_EQ(worker_rethrown, "worker's");
  EXPECT_EQ(std::uncaught_exceptions(), 0);
}

TEST(HostContextTest, AContextNeverSwitchedToIsDroppedWithoutRunningItsBody) {
  HostContext test;
  bool ran = false;
  {
    HostContext worker(test, [&] {
      ran = true;
      return &test;
    });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace kemu::model
