// model::AddressMap: what a host address maps to survives growth and the erasure of its
// neighbours (keys that collide in the table included), and references stay valid until their
// own key is erased.
#include "model/address_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace kemu::model {
namespace {

// Keys are only compared and hashed, never dereferenced: any non-null address will do.
int* Key(std::uintptr_t n) { return reinterpret_cast<int*>(n * 16); }

TEST(AddressMapTest, FindsWhatWasInsertedAndNothingElse) {
  AddressMap<int*, int> map;
  EXPECT_EQ(map.Find(Key(1)), nullptr);
  map[Key(1)] = 10;
  map[Key(2)] = 20;
  ASSERT_NE(map.Find(Key(1)), nullptr);
  EXPECT_EQ(*map.Find(Key(1)), 10);
  EXPECT_EQ(*map.Find(Key(2)), 20);
  EXPECT_EQ(map.Find(Key(3)), nullptr);
  EXPECT_EQ(map.Find(nullptr), nullptr);
  EXPECT_EQ(map.size(), 2u);
}

// Find remembers its last hit; erasing that key, alone or in a range, must forget it.
TEST(AddressMapTest, AKeyFoundJustBeforeItIsErasedIsNotFoundAfterwards) {
  AddressMap<int*, int> map;
  map[Key(1)] = 10;
  map[Key(2)] = 20;
  ASSERT_NE(map.Find(Key(1)), nullptr);
  EXPECT_TRUE(map.Erase(Key(1)));
  EXPECT_EQ(map.Find(Key(1)), nullptr);
  // Its storage goes to the next key: the old key must not find the new key's value.
  map[Key(3)] = 30;
  EXPECT_EQ(map.Find(Key(1)), nullptr);
  EXPECT_EQ(*map.Find(Key(3)), 30);

  ASSERT_NE(map.Find(Key(2)), nullptr);
  map.EraseIfIn(Key(2), Key(3), [](const auto&) { return true; });
  EXPECT_EQ(map.Find(Key(2)), nullptr);
  EXPECT_EQ(map.size(), 1u);
}

TEST(AddressMapTest, ErasingAnotherKeyKeepsTheLastHitFindable) {
  AddressMap<int*, int> map;
  map[Key(1)] = 10;
  map[Key(2)] = 20;
  ASSERT_NE(map.Find(Key(1)), nullptr);
  EXPECT_TRUE(map.Erase(Key(2)));
  ASSERT_NE(map.Find(Key(1)), nullptr);
  EXPECT_EQ(*map.Find(Key(1)), 10);
  EXPECT_EQ(map.Find(Key(2)), nullptr);
  EXPECT_EQ(map.Find(nullptr), nullptr);
}

TEST(AddressMapTest, ANewKeyStartsValueInitialised) {
  AddressMap<int*, std::pair<int, int>> map;
  map[Key(1)] = {3, 4};
  map.Erase(Key(1));
  // The erased entry's storage is reused, never its old value.
  EXPECT_EQ(map[Key(2)], std::make_pair(0, 0));
}

TEST(AddressMapTest, EveryKeyIsStillFoundAfterGrowthAndAfterEachErasure) {
  AddressMap<int*, std::uintptr_t> map;
  // Many times the first table: it grows, and probe runs wrap and overlap.
  constexpr std::uintptr_t kKeys = 1000;
  for (std::uintptr_t n = 1; n <= kKeys; ++n) map[Key(n)] = n;
  // Erase every third key: backward shifts must keep the later keys of each run reachable.
  for (std::uintptr_t n = 3; n <= kKeys; n += 3) EXPECT_TRUE(map.Erase(Key(n)));
  EXPECT_FALSE(map.Erase(Key(3)));
  for (std::uintptr_t n = 1; n <= kKeys; ++n) {
    if (n % 3 == 0) {
      EXPECT_EQ(map.Find(Key(n)), nullptr) << n;
    } else {
      ASSERT_NE(map.Find(Key(n)), nullptr) << n;
      EXPECT_EQ(*map.Find(Key(n)), n);
    }
  }
  EXPECT_EQ(map.size(), kKeys - kKeys / 3);
}

TEST(AddressMapTest, AReferenceStaysValidWhileOtherKeysComeAndGo) {
  AddressMap<int*, std::uintptr_t> map;
  std::uintptr_t& first = map[Key(1)];
  first = 7;
  for (std::uintptr_t n = 2; n < 500; ++n) map[Key(n)] = n;
  for (std::uintptr_t n = 2; n < 500; n += 2) map.Erase(Key(n));
  EXPECT_EQ(&first, map.Find(Key(1)));
  EXPECT_EQ(first, 7u);
}

TEST(AddressMapTest, EraseIfInRemovesExactlyTheMatchingEntriesInTheRange) {
  AddressMap<int*, std::uintptr_t> map;
  for (std::uintptr_t n = 1; n <= 100; ++n) map[Key(n)] = n;
  // [Key(10), Key(20)): keys 10..19, of which the even ones go; 20 and beyond stay.
  map.EraseIfIn(Key(10), Key(20), [](const auto& entry) { return entry.second % 2 == 0; });
  EXPECT_EQ(map.size(), 95u);
  for (std::uintptr_t n = 1; n <= 100; ++n) {
    const bool erased = n >= 10 && n < 20 && n % 2 == 0;
    EXPECT_EQ(map.Find(Key(n)) == nullptr, erased) << n;
  }
  // A key made again after its erasure is in the range index again.
  map[Key(12)] = 12;
  map.EraseIfIn(Key(12), Key(13), [](const auto&) { return true; });
  EXPECT_EQ(map.Find(Key(12)), nullptr);
}

TEST(AddressMapTest, ForEachInVisitsTheKeysInTheRangeLowestAddressFirst) {
  AddressMap<int*, int> map;
  // Made out of address order, with one key erased: the visit follows addresses.
  map[Key(7)] = 7;
  map[Key(3)] = 3;
  map[Key(5)] = 5;
  map[Key(4)] = 4;
  map[Key(9)] = 9;
  map.Erase(Key(4));
  std::vector<int> seen;
  // A range that starts inside a key's bytes and ends on a key leaves both out.
  map.ForEachIn(reinterpret_cast<char*>(Key(3)) + 1, Key(9),
                [&seen](const auto& entry) { seen.push_back(entry.second); });
  EXPECT_EQ(seen, (std::vector<int>{5, 7}));
}

TEST(AddressMapTest, IteratesInCreationOrderSkippingErasedEntries) {
  AddressMap<int*, int> map;
  map[Key(30)] = 3;
  map[Key(10)] = 1;
  map[Key(20)] = 2;
  map.Erase(Key(10));
  std::vector<std::pair<int*, int>> seen(map.begin(), map.end());
  EXPECT_EQ(seen, (std::vector<std::pair<int*, int>>{{Key(30), 3}, {Key(20), 2}}));
}

}  // namespace
}  // namespace kemu::model
