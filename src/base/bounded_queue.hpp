// SPDX-License-Identifier: Apache-2.0
// A fixed-size multi-producer queue that never blocks a producer: try_push
// either takes the item or says the queue is full. The guard thread hands its
// events to the writer thread through it, so a stalled reader of hydrad's
// output can cost events (counted), never a restore.
//
// Each slot carries a sequence number telling whose turn it is: a producer
// claims a position with one compare-and-swap on the head, fills the slot,
// then publishes it by advancing the slot's sequence; the consumer does the
// mirror image on the tail. No locks, no allocation after construction.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace hydra {

// Padding: head and tail sit on cache lines of their own, so that producers
// and the consumer do not bounce one line between cores.
template <class T>
class BoundedQueue {  // NOLINT(clang-analyzer-optin.performance.Padding)
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit BoundedQueue(size_t capacity) {
    size_t n = 2;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    slots_ = std::make_unique<Slot[]>(n);
    for (size_t i = 0; i < n; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }

  [[nodiscard]] size_t capacity() const { return mask_ + 1; }

  // False when full; the item is then left untouched.
  bool try_push(T& item) {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos & mask_];
      const size_t seq = slot.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          slot.value = std::move(item);
          slot.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the consumer has not freed this slot yet: full
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // One consumer at a time. nullopt when empty (or when the next item is
  // being written right now; it is seen on the next call).
  std::optional<T> try_pop() {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos & mask_];
      const size_t seq = slot.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          std::optional<T> out(std::move(slot.value));
          slot.value = T{};
          slot.seq.store(pos + mask_ + 1, std::memory_order_release);
          return out;
        }
      } else if (diff < 0) {
        return std::nullopt;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  // NOLINTNEXTLINE(bugprone-exception-escape): T{} is an empty value (a null json allocates nothing)
  struct Slot {
    std::atomic<size_t> seq{0};
    T value{};
  };
  std::unique_ptr<Slot[]> slots_;
  size_t mask_ = 0;
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
};

}  // namespace hydra
