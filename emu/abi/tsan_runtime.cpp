// kemu's own runtime for the compiler's thread-sanitizer instrumentation (-fsanitize=thread, as
// kemu_instrument_driver() compiles driver sources): every __tsan_* entry point GCC and Clang emit,
// forwarding memory accesses to the race detector instead of libtsan. Linked only into programs
// with instrumented code (target kemu::race_runtime); never together with libtsan.
//
// The compiler declares these functions as unable to throw, so nothing here throws: a race found
// is raised at the driver's next kernel call (race/detector.hpp).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "abi/instrumented_access.hpp"
#include "race/instrumented_access.hpp"

namespace {

using kemu::abi::InstrumentedAccess;

inline std::uintptr_t Address(const volatile void* address) {
  return reinterpret_cast<std::uintptr_t>(address);
}

#define KEMU_CALLER_PC reinterpret_cast<std::uintptr_t>(__builtin_return_address(0))
#define KEMU_FRAME reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0))

// Every operation is done sequentially consistent, which is what Interlocked* are and never
// weaker than asked; the order the compiler passes tells the race detector only whether the
// access orders anything: a relaxed one (ReadNoFence, WriteNoFence) is atomic but, like C11's,
// publishes and learns nothing by itself (fences below).
enum MemoryOrder : int {};
constexpr int kRelaxed = 0;  // __ATOMIC_RELAXED, TSan's mo_relaxed
inline bool Relaxed(MemoryOrder order) { return static_cast<int>(order) == kRelaxed; }

// Up to 8 bytes with the host's atomics. 16-byte operations would need libatomic; they need no
// host atomicity here, because only one vCPU context of a machine runs at a time.
template <typename T>
T Load(const volatile T* a) {
  if constexpr (sizeof(T) <= 8) {
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);
  } else {
    return *const_cast<const T*>(a);
  }
}

template <typename T>
T Exchange(volatile T* a, T v) {
  if constexpr (sizeof(T) <= 8) {
    return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);
  } else {
    T old = *const_cast<T*>(a);
    *const_cast<T*>(a) = v;
    return old;
  }
}

template <typename T>
bool CompareExchange(volatile T* a, T* expected, T v) {
  if constexpr (sizeof(T) <= 8) {
    return __atomic_compare_exchange_n(a, expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  } else {
    T* target = const_cast<T*>(a);
    if (*target == *expected) {
      *target = v;
      return true;
    }
    *expected = *target;
    return false;
  }
}

}  // namespace

extern "C" {

// --- Module initialisation, function entry and exit ----------------------------------------

void __tsan_init() { kemu::race::InstrumentedModuleLoaded(); }
// The entered function's frame address is one frame out: kemu_instrument_driver builds driver code
// with frame pointers, so it can be read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wframe-address"
__attribute__((noinline)) void __tsan_func_entry(void* call_site) {
  kemu::race::FunctionEntered(reinterpret_cast<std::uintptr_t>(call_site),
                              reinterpret_cast<std::uintptr_t>(__builtin_frame_address(1)));
}
#pragma GCC diagnostic pop
void __tsan_func_exit() { kemu::race::FunctionExited(); }
// C++ virtual-table pointer updates are object construction, not shared state: not checked.
void __tsan_vptr_update(void** /*vptr*/, void* /*value*/) {}
void __tsan_vptr_read(void** /*vptr*/) {}

// --- Plain accesses ------------------------------------------------------------------------

#define KEMU_TSAN_ACCESS(size)                                                       \
  void __tsan_read##size(void* a) {                                                  \
    InstrumentedAccess(Address(a), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);  \
  }                                                                                  \
  void __tsan_write##size(void* a) {                                                 \
    InstrumentedAccess(Address(a), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);   \
  }                                                                                  \
  void __tsan_unaligned_read##size(void* a) {                                        \
    InstrumentedAccess(Address(a), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);  \
  }                                                                                  \
  void __tsan_unaligned_write##size(void* a) {                                       \
    InstrumentedAccess(Address(a), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);   \
  }                                                                                  \
  void __tsan_volatile_read##size(void* a) {                                         \
    InstrumentedAccess(Address(a), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);  \
  }                                                                                  \
  void __tsan_volatile_write##size(void* a) {                                        \
    InstrumentedAccess(Address(a), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);   \
  }                                                                                  \
  void __tsan_unaligned_volatile_read##size(void* a) {                               \
    InstrumentedAccess(Address(a), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);  \
  }                                                                                  \
  void __tsan_unaligned_volatile_write##size(void* a) {                              \
    InstrumentedAccess(Address(a), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);   \
  }                                                                                  \
  void __tsan_read##size##_pc(void* a, void* pc) {                                   \
    InstrumentedAccess(Address(a), size, false, false, Address(pc) + 1, KEMU_FRAME); \
  }                                                                                  \
  void __tsan_write##size##_pc(void* a, void* pc) {                                  \
    InstrumentedAccess(Address(a), size, true, false, Address(pc) + 1, KEMU_FRAME);  \
  }

KEMU_TSAN_ACCESS(1)
KEMU_TSAN_ACCESS(2)
KEMU_TSAN_ACCESS(4)
KEMU_TSAN_ACCESS(8)
KEMU_TSAN_ACCESS(16)
#undef KEMU_TSAN_ACCESS

void __tsan_read_range(void* a, std::size_t size) {
  InstrumentedAccess(Address(a), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);
}
void __tsan_write_range(void* a, std::size_t size) {
  InstrumentedAccess(Address(a), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);
}

// Newer Clang replaces memory intrinsics by these.
void* __tsan_memcpy(void* destination, const void* source, std::size_t size) {
  InstrumentedAccess(Address(source), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);
  InstrumentedAccess(Address(destination), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);
  return std::memcpy(destination, source, size);
}
void* __tsan_memmove(void* destination, const void* source, std::size_t size) {
  InstrumentedAccess(Address(source), size, false, false, KEMU_CALLER_PC, KEMU_FRAME);
  InstrumentedAccess(Address(destination), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);
  return std::memmove(destination, source, size);
}
void* __tsan_memset(void* destination, int value, std::size_t size) {
  InstrumentedAccess(Address(destination), size, true, false, KEMU_CALLER_PC, KEMU_FRAME);
  return std::memset(destination, value, size);
}

// --- Atomics: done for real, reported as synchronised accesses -------------------------------

#define KEMU_TSAN_ATOMIC(bits, type)                                                          \
  type __tsan_atomic##bits##_load(const volatile type* a, MemoryOrder mo) {                   \
    InstrumentedAccess(Address(a), sizeof(type), false, true, KEMU_CALLER_PC, KEMU_FRAME,     \
                       Relaxed(mo));                                                          \
    return Load(a);                                                                           \
  }                                                                                           \
  void __tsan_atomic##bits##_store(volatile type* a, type v, MemoryOrder mo) {                \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME,      \
                       Relaxed(mo));                                                          \
    Exchange(a, v);                                                                           \
  }                                                                                           \
  type __tsan_atomic##bits##_exchange(volatile type* a, type v, MemoryOrder) {                \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME);     \
    return Exchange(a, v);                                                                    \
  }                                                                                           \
  KEMU_TSAN_FETCH(bits, type, add, old + v)                                                   \
  KEMU_TSAN_FETCH(bits, type, sub, old - v)                                                   \
  KEMU_TSAN_FETCH(bits, type, and, old& v)                                                    \
  KEMU_TSAN_FETCH(bits, type, or, old | v)                                                    \
  KEMU_TSAN_FETCH(bits, type, xor, old ^ v)                                                   \
  KEMU_TSAN_FETCH(bits, type, nand, static_cast<type>(~(old & v)))                            \
  int __tsan_atomic##bits##_compare_exchange_strong(volatile type* a, type* expected, type v, \
                                                    MemoryOrder, MemoryOrder) {               \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME);     \
    return CompareExchange(a, expected, v);                                                   \
  }                                                                                           \
  int __tsan_atomic##bits##_compare_exchange_weak(volatile type* a, type* expected, type v,   \
                                                  MemoryOrder, MemoryOrder) {                 \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME);     \
    return CompareExchange(a, expected, v);                                                   \
  }                                                                                           \
  type __tsan_atomic##bits##_compare_exchange_val(volatile type* a, type expected, type v,    \
                                                  MemoryOrder, MemoryOrder) {                 \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME);     \
    CompareExchange(a, &expected, v);                                                         \
    return expected;                                                                          \
  }

#define KEMU_TSAN_FETCH(bits, type, name, result)                                         \
  type __tsan_atomic##bits##_fetch_##name(volatile type* a, type v, MemoryOrder) {        \
    InstrumentedAccess(Address(a), sizeof(type), true, true, KEMU_CALLER_PC, KEMU_FRAME); \
    type old = Load(a);                                                                   \
    while (!CompareExchange(a, &old, static_cast<type>(result))) {                        \
    }                                                                                     \
    return old;                                                                           \
  }

KEMU_TSAN_ATOMIC(8, std::uint8_t)
KEMU_TSAN_ATOMIC(16, std::uint16_t)
KEMU_TSAN_ATOMIC(32, std::uint32_t)
KEMU_TSAN_ATOMIC(64, std::uint64_t)
#if defined(__SIZEOF_INT128__)
KEMU_TSAN_ATOMIC(128, unsigned __int128)
#endif
#undef KEMU_TSAN_FETCH
#undef KEMU_TSAN_ATOMIC

// KeMemoryBarrier, MemoryBarrier: with relaxed accesses around them, what C11 fences order.
void __tsan_atomic_thread_fence(MemoryOrder mo) {
  const int order = static_cast<int>(mo);  // consume 1, acquire 2, release 3, acq_rel 4, seq_cst 5
  kemu::abi::InstrumentedFence(order == 1 || order == 2 || order >= 4, order >= 3);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
void __tsan_atomic_signal_fence(MemoryOrder) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

}  // extern "C"
