// A map from host addresses (a driver's KSPIN_LOCK, KDPC, ...) to kemu's state for them, made for
// the lookups every kernel call makes: open addressing with linear probing over a power-of-two
// table, a multiplicative hash (no division), and one slot compare on a hit.
//
// Values live in stable storage, so a reference stays valid until its key is erased, as with
// std::unordered_map (callers keep one across driver callbacks that add keys). Iteration visits
// entries in the order they were made (an erased entry's storage is reused by the next insert),
// never in host-address order, so nothing a report lists depends on where the allocator put things.
// An ordered index beside the table answers "which keys lie in [begin, end)" (memory being freed)
// in a lookup and a step per key found, however many keys the map holds.
//
//   AddressMap<PKSPIN_LOCK, State> locks;
//   locks[lock].owner = 0;
//   if (State* state = locks.Find(lock)) ...
//   locks.EraseIfIn(block, block_end, [](const auto& entry) { return entry.second.owner < 0; });
#ifndef KEMU_EMU_MODEL_ADDRESS_MAP_HPP_
#define KEMU_EMU_MODEL_ADDRESS_MAP_HPP_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <type_traits>
#include <utility>
#include <vector>

namespace kemu::model {

template <typename Key, typename Value>
class AddressMap {
  static_assert(std::is_pointer_v<Key>, "keys are host addresses");

 public:
  using Entry = std::pair<Key, Value>;

  AddressMap() = default;
  // The slots and the last hit point into the entries: a copy would point into the original.
  AddressMap(const AddressMap&) = delete;
  AddressMap& operator=(const AddressMap&) = delete;

  /// Entries in creation order, skipping erased ones.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;

    const_iterator() = default;
    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    const_iterator& operator++() {
      ++it_;
      Skip();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const const_iterator& other) const { return it_ == other.it_; }

   private:
    friend class AddressMap;
    using Base = typename std::deque<Entry>::const_iterator;
    const_iterator(Base it, Base end) : it_(it), end_(end) { Skip(); }
    void Skip() {
      while (it_ != end_ && it_->first == nullptr) ++it_;
    }
    Base it_;
    Base end_;
  };

  const_iterator begin() const { return const_iterator(entries_.begin(), entries_.end()); }
  const_iterator end() const { return const_iterator(entries_.end(), entries_.end()); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// The value for `key`, or nullptr.
  Value* Find(Key key) {
    // The key the last lookup found, first: a lock's release looks up what its acquire did, a
    // DPC's run what its queueing did. A compare instead of a hash and a probe.
    if (key == last_key_) return last_value_;
    if (size_ == 0) return nullptr;
    for (std::size_t i = Home(key);; i = Next(i)) {
      // Empty first: a null key (never stored) then finds nothing.
      if (slots_[i].key == nullptr) return nullptr;
      if (slots_[i].key == key) {
        last_key_ = key;
        last_value_ = &slots_[i].entry->second;
        return last_value_;
      }
    }
  }
  const Value* Find(Key key) const { return const_cast<AddressMap*>(this)->Find(key); }
  bool Contains(Key key) const { return Find(key) != nullptr; }

  /// The value for `key`, made (value-initialised) if there was none. `key` must not be null.
  Value& operator[](Key key) {
    if (Value* found = Find(key)) return *found;
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Entry* entry;
    if (free_.empty()) {
      entry = &entries_.emplace_back(key, Value{});
    } else {
      entry = free_.back();
      free_.pop_back();
      entry->first = key;
    }
    Place(Slot{key, entry});
    ordered_.emplace(Address(key), entry);
    ++size_;
    return entry->second;
  }

  /// Forgets `key`; returns whether it was there.
  bool Erase(Key key) {
    if (size_ == 0) return false;
    std::size_t i = Home(key);
    while (slots_[i].key != key) {
      if (slots_[i].key == nullptr) return false;
      i = Next(i);
    }
    Release(slots_[i].entry);
    RemoveSlot(i);
    return true;
  }

  /// Calls `visit(const Entry&)` for every key in [begin, end), lowest address first. `visit`
  /// must not add or erase keys.
  template <typename Visit>
  void ForEachIn(const void* begin, const void* end, Visit visit) const {
    const auto last = ordered_.lower_bound(Address(end));
    for (auto it = ordered_.lower_bound(Address(begin)); it != last; ++it) {
      visit(std::as_const(*it->second));
    }
  }

  /// Forgets every entry in [begin, end) `erase(const Entry&)` is true for: what a free of that
  /// memory does, without a walk over the whole map.
  template <typename Predicate>
  void EraseIfIn(const void* begin, const void* end, Predicate erase) {
    std::vector<Key> doomed;
    ForEachIn(begin, end, [&](const Entry& entry) {
      if (erase(entry)) doomed.push_back(entry.first);
    });
    for (Key key : doomed) Erase(key);
  }

 private:
  struct Slot {
    Key key = nullptr;  ///< nullptr: empty
    Entry* entry = nullptr;
  };

  template <typename Pointer>
  static std::uintptr_t Address(Pointer pointer) {
    return reinterpret_cast<std::uintptr_t>(pointer);
  }

  std::size_t Home(Key key) const {
    // Fibonacci hashing: the product's top bits mix every bit of the address, so aligned
    // addresses (low bits all zero) still spread over the table.
    return static_cast<std::size_t>(
        (reinterpret_cast<std::uintptr_t>(key) * std::uint64_t{0x9E3779B97F4A7C15}) >> shift_);
  }
  std::size_t Next(std::size_t i) const { return (i + 1) & mask_; }

  void Place(Slot slot) {
    std::size_t i = Home(slot.key);
    while (slots_[i].key != nullptr) i = Next(i);
    slots_[i] = slot;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    const std::size_t capacity = old.empty() ? 16 : old.size() * 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (const Slot& slot : old) {
      if (slot.key != nullptr) Place(slot);
    }
  }

  void Release(Entry* entry) {
    if (entry->first == last_key_) Forget();
    ordered_.erase(Address(entry->first));
    entry->first = nullptr;
    entry->second = Value{};
    free_.push_back(entry);
    --size_;
  }

  // Backward-shift deletion: later slots of the same probe run move up into the hole, so a
  // lookup never needs a tombstone to know it may stop at an empty slot.
  void RemoveSlot(std::size_t hole) {
    for (std::size_t j = Next(hole);; j = Next(j)) {
      if (slots_[j].key == nullptr) break;
      const std::size_t home = Home(slots_[j].key);
      // Distance from home, around the ring: the entry may fill the hole only if the hole lies
      // on its probe path (between its home and where it is now).
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
  }

  /// The last lookup's hit: none is nullptr, which Find(nullptr) then returns, as it must.
  void Forget() {
    last_key_ = nullptr;
    last_value_ = nullptr;
  }

  Key last_key_ = nullptr;
  Value* last_value_ = nullptr;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;  ///< slots_.size() - 1
  unsigned shift_ = 64;
  std::deque<Entry> entries_;  ///< stable storage, in creation order
  std::vector<Entry*> free_;   ///< erased entries, reused by the next insert
  std::size_t size_ = 0;
  /// Every key by address, for the range queries (ForEachIn, EraseIfIn).
  std::map<std::uintptr_t, Entry*> ordered_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_ADDRESS_MAP_HPP_
