// A double-ended queue of small trivially copyable values in one power-of-two ring, made for the
// per-vCPU DPC queue: every interrupt round trip pushes one entry and pops it again, which
// std::deque pays for with a node allocated and freed every few dozen entries (the ring never
// allocates once it is large enough), and a push or pop here is an index mask and a store.
//
//   RingDeque<int> queue;
//   queue.push_back(1);
//   queue.push_front(0);
//   int first = queue.front();  // 0
//   queue.pop_front();
#ifndef KEMU_EMU_MODEL_RING_DEQUE_HPP_
#define KEMU_EMU_MODEL_RING_DEQUE_HPP_

#include <cstddef>
#include <iterator>
#include <type_traits>
#include <vector>

namespace kemu::model {

template <typename T>
class RingDeque {
  static_assert(std::is_trivially_copyable_v<T>, "slots are copied when the ring grows");

 public:
  /// Front to back.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return (*ring_)[index_]; }
    pointer operator->() const { return &(*ring_)[index_]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++index_;
      return before;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }

   private:
    friend class RingDeque;
    const_iterator(const RingDeque* ring, std::size_t index) : ring_(ring), index_(index) {}
    const RingDeque* ring_ = nullptr;
    std::size_t index_ = 0;
  };

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  /// The `i`th value from the front, for i < size().
  const T& operator[](std::size_t i) const { return slots_[(head_ + i) & mask_]; }
  const T& front() const { return slots_[head_]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(const T& value) {
    if (size_ == capacity_) [[unlikely]] {
      Grow();
    }
    slots_[(head_ + size_) & mask_] = value;
    ++size_;
  }
  void push_front(const T& value) {
    if (size_ == capacity_) [[unlikely]] {
      Grow();
    }
    head_ = (head_ - 1) & mask_;
    slots_[head_] = value;
    ++size_;
  }
  /// Drops the front value; the queue must not be empty.
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
  }

  /// Drops every value `remove(value)` is true for, keeping the others in order; returns how
  /// many it dropped.
  template <typename Predicate>
  std::size_t RemoveIf(Predicate remove) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      const T value = (*this)[i];
      if (!remove(value)) slots_[(head_ + kept++) & mask_] = value;
    }
    const std::size_t removed = size_ - kept;
    size_ = kept;
    return removed;
  }

 private:
  // Doubles the ring, unwrapping the values to the start of the new one.
  void Grow() {
    const std::size_t capacity = capacity_ == 0 ? 8 : capacity_ * 2;
    std::vector<T> grown(capacity);
    for (std::size_t i = 0; i < size_; ++i) grown[i] = (*this)[i];
    slots_ = std::move(grown);
    capacity_ = capacity;
    mask_ = capacity - 1;
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t capacity_ = 0;  ///< slots_.size(), kept apart to spare every push a subtraction
  std::size_t mask_ = 0;      ///< capacity_ - 1 once there are slots
  std::size_t head_ = 0;      ///< slot of the front value
  std::size_t size_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_RING_DEQUE_HPP_
