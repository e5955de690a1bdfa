// kemu_wdk_interlocked.h — Interlocked* atomic operations, header-only over GCC/Clang builtins.
//
// Every operation is sequentially consistent, as the plain Windows names are on x64. The
// Acquire/Release/NoFence spellings map to the plain routines: a stronger ordering is always a
// correct implementation of a weaker one. Arithmetic wraps like two's complement: the __atomic
// builtins define it for signed operands, so overflowing a counter is not undefined behaviour.
//
//   static LONG volatile open_count;
//   if (InterlockedIncrement(&open_count) == 1) { /* first opener */ }
//   PVOID old = InterlockedCompareExchangePointer(&ext->Slot, request, NULL);
#ifndef KEMU_WDK_INTERLOCKED_H_
#define KEMU_WDK_INTERLOCKED_H_

#include "kemu_wdk_base.h"

#define KEMU_WDK_SEQ_CST __ATOMIC_SEQ_CST

KEMU_WDK_BEGIN_DECLS

// ---------------------------------------------------------------------------------------------
// 32-bit.

/// Returns the incremented value.
KEMU_WDK_INLINE LONG InterlockedIncrement(LONG volatile *Addend) {
  return __atomic_add_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}

/// Returns the decremented value.
KEMU_WDK_INLINE LONG InterlockedDecrement(LONG volatile *Addend) {
  return __atomic_sub_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}

/// Returns the value Target held before.
KEMU_WDK_INLINE LONG InterlockedExchange(LONG volatile *Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, KEMU_WDK_SEQ_CST);
}

/// Returns the value Addend held before the addition.
KEMU_WDK_INLINE LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, KEMU_WDK_SEQ_CST);
}

/// Returns the sum.
KEMU_WDK_INLINE LONG InterlockedAdd(LONG volatile *Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, KEMU_WDK_SEQ_CST);
}

/// Stores Exchange when *Destination equals Comperand; returns the initial *Destination.
KEMU_WDK_INLINE LONG InterlockedCompareExchange(LONG volatile *Destination, LONG Exchange,
                                                LONG Comperand) {
  LONG observed = Comperand;
  __atomic_compare_exchange_n(Destination, &observed, Exchange, 0, KEMU_WDK_SEQ_CST,
                              KEMU_WDK_SEQ_CST);
  return observed;
}

/// The bitwise operations return the value Destination held before.
KEMU_WDK_INLINE LONG InterlockedAnd(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG InterlockedOr(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG InterlockedXor(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, KEMU_WDK_SEQ_CST);
}

// ---------------------------------------------------------------------------------------------
// 64-bit.

KEMU_WDK_INLINE LONG64 InterlockedIncrement64(LONG64 volatile *Addend) {
  return __atomic_add_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedDecrement64(LONG64 volatile *Addend) {
  return __atomic_sub_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 Exchange,
                                                    LONG64 Comperand) {
  LONG64 observed = Comperand;
  __atomic_compare_exchange_n(Destination, &observed, Exchange, 0, KEMU_WDK_SEQ_CST,
                              KEMU_WDK_SEQ_CST);
  return observed;
}

KEMU_WDK_INLINE LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, KEMU_WDK_SEQ_CST);
}

// ---------------------------------------------------------------------------------------------
// 8- and 16-bit (flags bytes and packed counters).

KEMU_WDK_INLINE SHORT InterlockedIncrement16(SHORT volatile *Addend) {
  return __atomic_add_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedDecrement16(SHORT volatile *Addend) {
  return __atomic_sub_fetch(Addend, 1, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedCompareExchange16(SHORT volatile *Destination, SHORT Exchange,
                                                   SHORT Comperand) {
  SHORT observed = Comperand;
  __atomic_compare_exchange_n(Destination, &observed, Exchange, 0, KEMU_WDK_SEQ_CST,
                              KEMU_WDK_SEQ_CST);
  return observed;
}
KEMU_WDK_INLINE CHAR InterlockedExchange8(CHAR volatile *Target, CHAR Value) {
  return __atomic_exchange_n(Target, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedExchange16(SHORT volatile *Target, SHORT Value) {
  return __atomic_exchange_n(Target, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE CHAR InterlockedExchangeAdd8(CHAR volatile *Addend, CHAR Value) {
  return __atomic_fetch_add(Addend, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedExchangeAdd16(SHORT volatile *Addend, SHORT Value) {
  return __atomic_fetch_add(Addend, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE CHAR InterlockedAnd8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_and(Destination, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE CHAR InterlockedOr8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_or(Destination, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE CHAR InterlockedXor8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_xor(Destination, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedAnd16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_and(Destination, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedOr16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_or(Destination, Value, KEMU_WDK_SEQ_CST);
}
KEMU_WDK_INLINE SHORT InterlockedXor16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_xor(Destination, Value, KEMU_WDK_SEQ_CST);
}

// ---------------------------------------------------------------------------------------------
// Pointers.

KEMU_WDK_INLINE PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, KEMU_WDK_SEQ_CST);
}

KEMU_WDK_INLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange,
                                                        PVOID Comperand) {
  PVOID observed = Comperand;
  __atomic_compare_exchange_n(Destination, &observed, Exchange, 0, KEMU_WDK_SEQ_CST,
                              KEMU_WDK_SEQ_CST);
  return observed;
}

// ---------------------------------------------------------------------------------------------
// Bit tests: return the bit's value before the change.

KEMU_WDK_INLINE BOOLEAN InterlockedBitTestAndSet(LONG volatile *Base, LONG Offset) {
  const LONG mask = (LONG)(1u << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_or(Base + (Offset >> 5), mask, KEMU_WDK_SEQ_CST) & mask) != 0);
}
KEMU_WDK_INLINE BOOLEAN InterlockedBitTestAndReset(LONG volatile *Base, LONG Offset) {
  const LONG mask = (LONG)(1u << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_and(Base + (Offset >> 5), ~mask, KEMU_WDK_SEQ_CST) & mask) != 0);
}
KEMU_WDK_INLINE BOOLEAN InterlockedBitTestAndSet64(LONG64 volatile *Base, LONG64 Offset) {
  const LONG64 mask = (LONG64)(1ull << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_or(Base + (Offset >> 6), mask, KEMU_WDK_SEQ_CST) & mask) != 0);
}
KEMU_WDK_INLINE BOOLEAN InterlockedBitTestAndReset64(LONG64 volatile *Base, LONG64 Offset) {
  const LONG64 mask = (LONG64)(1ull << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_and(Base + (Offset >> 6), ~mask, KEMU_WDK_SEQ_CST) & mask) != 0);
}

// ---------------------------------------------------------------------------------------------
// Single loads and stores with an ordering (Windows 10's ReadAcquire, WriteRelease ...). Atomic,
// so the race detector sees each one's order: Acquire/Release order the accesses around them,
// NoFence orders nothing, and a plain access racing one is still a race.

KEMU_WDK_INLINE LONG ReadAcquire(LONG const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
KEMU_WDK_INLINE LONG ReadNoFence(LONG const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_RELAXED);
}
KEMU_WDK_INLINE VOID WriteRelease(LONG volatile *Destination, LONG Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}
KEMU_WDK_INLINE VOID WriteNoFence(LONG volatile *Destination, LONG Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);
}
KEMU_WDK_INLINE LONG64 ReadAcquire64(LONG64 const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
KEMU_WDK_INLINE LONG64 ReadNoFence64(LONG64 const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_RELAXED);
}
KEMU_WDK_INLINE VOID WriteRelease64(LONG64 volatile *Destination, LONG64 Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}
KEMU_WDK_INLINE VOID WriteNoFence64(LONG64 volatile *Destination, LONG64 Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);
}
KEMU_WDK_INLINE PVOID ReadPointerAcquire(PVOID const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
KEMU_WDK_INLINE PVOID ReadPointerNoFence(PVOID const volatile *Source) {
  return __atomic_load_n(Source, __ATOMIC_RELAXED);
}
KEMU_WDK_INLINE VOID WritePointerRelease(PVOID volatile *Destination, PVOID Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}
KEMU_WDK_INLINE VOID WritePointerNoFence(PVOID volatile *Destination, PVOID Value) {
  __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);
}

// The same orderings at the other widths, and "Raw": a plain access, with neither ordering nor
// atomicity, for data the caller knows no other processor writes meanwhile (the race detector sees
// it as an ordinary access). It goes through the volatile pointer as given: casting the qualifier
// away would trip -Wcast-qual in a driver built with it, and one volatile load or store is still
// a plain access.
#define KEMU_WDK_ORDERED_ACCESS(Width, Type)                                           \
  KEMU_WDK_INLINE Type ReadAcquire##Width(Type const volatile *Source) {               \
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE);                                  \
  }                                                                                    \
  KEMU_WDK_INLINE Type ReadNoFence##Width(Type const volatile *Source) {               \
    return __atomic_load_n(Source, __ATOMIC_RELAXED);                                  \
  }                                                                                    \
  KEMU_WDK_INLINE Type ReadRaw##Width(Type const volatile *Source) { return *Source; } \
  KEMU_WDK_INLINE VOID WriteRelease##Width(Type volatile *Destination, Type Value) {   \
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);                            \
  }                                                                                    \
  KEMU_WDK_INLINE VOID WriteNoFence##Width(Type volatile *Destination, Type Value) {   \
    __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);                            \
  }                                                                                    \
  KEMU_WDK_INLINE VOID WriteRaw##Width(Type volatile *Destination, Type Value) {       \
    *Destination = Value;                                                              \
  }
KEMU_WDK_ORDERED_ACCESS(8, CHAR)
KEMU_WDK_ORDERED_ACCESS(16, SHORT)
#undef KEMU_WDK_ORDERED_ACCESS
KEMU_WDK_INLINE LONG ReadRaw(LONG const volatile *Source) { return *Source; }
KEMU_WDK_INLINE VOID WriteRaw(LONG volatile *Destination, LONG Value) { *Destination = Value; }
KEMU_WDK_INLINE LONG64 ReadRaw64(LONG64 const volatile *Source) { return *Source; }
KEMU_WDK_INLINE VOID WriteRaw64(LONG64 volatile *Destination, LONG64 Value) {
  *Destination = Value;
}
KEMU_WDK_INLINE PVOID ReadPointerRaw(PVOID const volatile *Source) { return *Source; }
KEMU_WDK_INLINE VOID WritePointerRaw(PVOID volatile *Destination, PVOID Value) {
  *Destination = Value;
}

// The unsigned and named-type spellings: each reads or writes the same bytes as its signed form.
#define KEMU_WDK_NAMED_ACCESS(Name, Type, Base, Width)                                \
  KEMU_WDK_INLINE Type Read##Name##Acquire(Type const volatile *Source) {             \
    return (Type)ReadAcquire##Width((Base const volatile *)Source);                   \
  }                                                                                   \
  KEMU_WDK_INLINE Type Read##Name##NoFence(Type const volatile *Source) {             \
    return (Type)ReadNoFence##Width((Base const volatile *)Source);                   \
  }                                                                                   \
  KEMU_WDK_INLINE Type Read##Name##Raw(Type const volatile *Source) {                 \
    return (Type)ReadRaw##Width((Base const volatile *)Source);                       \
  }                                                                                   \
  KEMU_WDK_INLINE VOID Write##Name##Release(Type volatile *Destination, Type Value) { \
    WriteRelease##Width((Base volatile *)Destination, (Base)Value);                   \
  }                                                                                   \
  KEMU_WDK_INLINE VOID Write##Name##NoFence(Type volatile *Destination, Type Value) { \
    WriteNoFence##Width((Base volatile *)Destination, (Base)Value);                   \
  }                                                                                   \
  KEMU_WDK_INLINE VOID Write##Name##Raw(Type volatile *Destination, Type Value) {     \
    WriteRaw##Width((Base volatile *)Destination, (Base)Value);                       \
  }
KEMU_WDK_NAMED_ACCESS(UChar, UCHAR, CHAR, 8)
KEMU_WDK_NAMED_ACCESS(Boolean, BOOLEAN, CHAR, 8)
KEMU_WDK_NAMED_ACCESS(UShort, USHORT, SHORT, 16)
KEMU_WDK_NAMED_ACCESS(ULong, ULONG, LONG, )
KEMU_WDK_NAMED_ACCESS(ULong64, ULONG64, LONG64, 64)
KEMU_WDK_NAMED_ACCESS(SizeT, SIZE_T, LONG64, 64)
KEMU_WDK_NAMED_ACCESS(ULongPtr, ULONG_PTR, LONG64, 64)
KEMU_WDK_NAMED_ACCESS(LongPtr, LONG_PTR, LONG64, 64)
#undef KEMU_WDK_NAMED_ACCESS

KEMU_WDK_END_DECLS

// The SIZE_T counters of x64, over the 64-bit routines.
#define InterlockedExchangeAddSizeT(Addend, Value) \
  ((SIZE_T)InterlockedExchangeAdd64((LONG64 volatile *)(Addend), (LONG64)(Value)))
#define InterlockedIncrementSizeT(Addend) \
  ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(Addend)))
#define InterlockedDecrementSizeT(Addend) \
  ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(Addend)))

// ---------------------------------------------------------------------------------------------
// Barriers.

#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#ifndef MemoryBarrier
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef _ReadWriteBarrier
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef YieldProcessor
#define YieldProcessor() ((void)0)
#endif

// ---------------------------------------------------------------------------------------------
// Ordering variants: object-like macros, so calls and address-of both reach the plain routine.

#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedExchangeNoFence InterlockedExchange
#define InterlockedExchangeAddAcquire InterlockedExchangeAdd
#define InterlockedExchangeAddRelease InterlockedExchangeAdd
#define InterlockedExchangeAddNoFence InterlockedExchangeAdd
#define InterlockedAddAcquire InterlockedAdd
#define InterlockedAddRelease InterlockedAdd
#define InterlockedAddNoFence InterlockedAdd
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedAndAcquire InterlockedAnd
#define InterlockedAndRelease InterlockedAnd
#define InterlockedAndNoFence InterlockedAnd
#define InterlockedOrAcquire InterlockedOr
#define InterlockedOrRelease InterlockedOr
#define InterlockedOrNoFence InterlockedOr
#define InterlockedXorAcquire InterlockedXor
#define InterlockedXorRelease InterlockedXor
#define InterlockedXorNoFence InterlockedXor

#define InterlockedIncrementAcquire64 InterlockedIncrement64
#define InterlockedIncrementRelease64 InterlockedIncrement64
#define InterlockedIncrementNoFence64 InterlockedIncrement64
#define InterlockedDecrementAcquire64 InterlockedDecrement64
#define InterlockedDecrementRelease64 InterlockedDecrement64
#define InterlockedDecrementNoFence64 InterlockedDecrement64
#define InterlockedExchangeAcquire64 InterlockedExchange64
#define InterlockedExchangeNoFence64 InterlockedExchange64
#define InterlockedExchangeAddAcquire64 InterlockedExchangeAdd64
#define InterlockedExchangeAddRelease64 InterlockedExchangeAdd64
#define InterlockedExchangeAddNoFence64 InterlockedExchangeAdd64
#define InterlockedAddAcquire64 InterlockedAdd64
#define InterlockedAddRelease64 InterlockedAdd64
#define InterlockedAddNoFence64 InterlockedAdd64
#define InterlockedCompareExchangeAcquire64 InterlockedCompareExchange64
#define InterlockedCompareExchangeRelease64 InterlockedCompareExchange64
#define InterlockedCompareExchangeNoFence64 InterlockedCompareExchange64
#define InterlockedAnd64Acquire InterlockedAnd64
#define InterlockedAnd64Release InterlockedAnd64
#define InterlockedAnd64NoFence InterlockedAnd64
#define InterlockedOr64Acquire InterlockedOr64
#define InterlockedOr64Release InterlockedOr64
#define InterlockedOr64NoFence InterlockedOr64
#define InterlockedXor64Acquire InterlockedXor64
#define InterlockedXor64Release InterlockedXor64
#define InterlockedXor64NoFence InterlockedXor64

#define InterlockedExchangePointerAcquire InterlockedExchangePointer
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerNoFence InterlockedCompareExchangePointer

#endif  // KEMU_WDK_INTERLOCKED_H_
