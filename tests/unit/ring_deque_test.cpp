// model::RingDeque (the per-vCPU DPC queue): values come out in queue order whatever the ring's
// wrap point, across growth, from either end, and after removals in the middle.
#include "model/ring_deque.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kemu::model {
namespace {

std::vector<int> Contents(const RingDeque<int>& queue) {
  return std::vector<int>(queue.begin(), queue.end());
}

TEST(RingDequeTest, StartsEmptyAndPopsInPushOrder) {
  RingDeque<int> queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.begin(), queue.end());
  queue.push_back(1);
  queue.push_back(2);
  queue.push_back(3);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.front(), 1);
  queue.pop_front();
  EXPECT_EQ(queue.front(), 2);
  queue.pop_front();
  EXPECT_EQ(queue.front(), 3);
  queue.pop_front();
  EXPECT_TRUE(queue.empty());
}

TEST(RingDequeTest, PushFrontGoesAheadOfEverythingQueued) {
  RingDeque<int> queue;
  queue.push_front(2);  // into an empty ring: the head wraps below slot 0
  queue.push_back(3);
  queue.push_front(1);
  EXPECT_EQ(Contents(queue), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(queue[0], 1);
  EXPECT_EQ(queue[2], 3);
}

TEST(RingDequeTest, KeepsOrderWhenItGrowsWhileWrapped) {
  RingDeque<int> queue;
  // Move the head into the middle of the first ring (8 slots), then fill past its end so the
  // values wrap, then grow it: the grown ring must unwrap them in order.
  for (int i = 0; i < 5; ++i) queue.push_back(-1);
  for (int i = 0; i < 5; ++i) queue.pop_front();
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) {
    queue.push_back(i);
    expected.push_back(i);
  }
  queue.push_front(-2);
  expected.insert(expected.begin(), -2);
  EXPECT_EQ(Contents(queue), expected);
}

TEST(RingDequeTest, ManyRoundTripsThroughOneSlotStayInOrder) {
  // The interrupt round trip: one value in, one out, many times over the same ring.
  RingDeque<int> queue;
  for (int i = 0; i < 1000; ++i) {
    queue.push_back(i);
    ASSERT_EQ(queue.size(), 1u);
    ASSERT_EQ(queue.front(), i);
    queue.pop_front();
  }
  EXPECT_TRUE(queue.empty());
}

TEST(RingDequeTest, RemoveIfDropsMatchesAndKeepsTheRestInOrder) {
  RingDeque<int> queue;
  // Head at slot 6 of 8: the seven values below wrap around the ring's end.
  for (int i = 0; i < 6; ++i) {
    queue.push_back(0);
    queue.pop_front();
  }
  for (int i = 1; i <= 7; ++i) queue.push_back(i);
  EXPECT_EQ(queue.RemoveIf([](int value) { return value % 3 == 0; }), 2u);
  EXPECT_EQ(Contents(queue), (std::vector<int>{1, 2, 4, 5, 7}));
  EXPECT_EQ(queue.RemoveIf([](int) { return false; }), 0u);
  EXPECT_EQ(queue.size(), 5u);
  // Still a working queue after the removal.
  queue.push_back(10);
  queue.push_front(0);
  EXPECT_EQ(Contents(queue), (std::vector<int>{0, 1, 2, 4, 5, 7, 10}));
}

}  // namespace
}  // namespace kemu::model
