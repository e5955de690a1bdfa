// ntintsafe.h — kemu's overflow-checked integer arithmetic and conversions, header inlines as in
// the WDK: Rtl<Type>Add / Sub / Mult for the unsigned and signed kernel integer types, and
// Rtl<From>To<To> for the conversions drivers make between them (x64 sizes: ULONG 32 bits,
// ULONG_PTR and SIZE_T 64). Each returns
//   STATUS_SUCCESS           the exact result is stored;
//   STATUS_INTEGER_OVERFLOW  the result does not fit its type (or a subtraction of unsigned
//                            values would go below zero); the documented contract is only that
//                            the stored value is not valid. kemu stores the type's error value,
//                            as the WDK does: its maximum for an unsigned type, -1 for a signed
//                            one.
//
//   ULONG bytes;
//   if (!NT_SUCCESS(RtlULongMult(count, sizeof(ENTRY), &bytes))) return STATUS_INVALID_PARAMETER;
//   NTSTATUS status = RtlSizeTToULong(length, &length32);
//
// The checks are the compiler's (__builtin_*_overflow, exact in infinite precision), so every
// routine is correct for every pair of inputs, the extremes included.
#ifndef KEMU_WDK_NTINTSAFE_H_
#define KEMU_WDK_NTINTSAFE_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_status.h"

#ifndef STATUS_INTEGER_OVERFLOW
#define STATUS_INTEGER_OVERFLOW ((NTSTATUS)0xC0000095L)
#endif

// The error values a failed routine stores (intsafe's names).
#define USHORT_ERROR ((USHORT)0xFFFF)
#define UINT_ERROR 0xFFFFFFFFU
#define ULONG_ERROR 0xFFFFFFFFUL
#define ULONGLONG_ERROR 0xFFFFFFFFFFFFFFFFULL
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define SIZET_ERROR ULONG_PTR_ERROR
#define UCHAR_ERROR ((UCHAR)0xFF)
#define SHORT_ERROR ((SHORT)-1)
#define INT_ERROR (-1)
#define LONG_ERROR (-1L)
#define LONGLONG_ERROR (-1LL)
#define LONG_PTR_ERROR ((LONG_PTR)-1)
#define SSIZET_ERROR LONG_PTR_ERROR

KEMU_WDK_BEGIN_DECLS

// Add, Sub and Mult for one type: `Name` is the routines' infix, `Error` what a failure stores.
#define KEMU_NTINTSAFE_ARITHMETIC(Name, Type, Error)                                           \
  KEMU_WDK_INLINE NTSTATUS Rtl##Name##Add(Type Augend, Type Addend, Type *Result) {            \
    if (__builtin_add_overflow(Augend, Addend, Result)) {                                      \
      *Result = (Type)(Error);                                                                 \
      return STATUS_INTEGER_OVERFLOW;                                                          \
    }                                                                                          \
    return STATUS_SUCCESS;                                                                     \
  }                                                                                            \
  KEMU_WDK_INLINE NTSTATUS Rtl##Name##Sub(Type Minuend, Type Subtrahend, Type *Result) {       \
    if (__builtin_sub_overflow(Minuend, Subtrahend, Result)) {                                 \
      *Result = (Type)(Error);                                                                 \
      return STATUS_INTEGER_OVERFLOW;                                                          \
    }                                                                                          \
    return STATUS_SUCCESS;                                                                     \
  }                                                                                            \
  KEMU_WDK_INLINE NTSTATUS Rtl##Name##Mult(Type Multiplicand, Type Multiplier, Type *Result) { \
    if (__builtin_mul_overflow(Multiplicand, Multiplier, Result)) {                            \
      *Result = (Type)(Error);                                                                 \
      return STATUS_INTEGER_OVERFLOW;                                                          \
    }                                                                                          \
    return STATUS_SUCCESS;                                                                     \
  }

KEMU_NTINTSAFE_ARITHMETIC(UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(DWord, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(ULongLong, ULONGLONG, ULONGLONG_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(ULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(DWordPtr, ULONG_PTR, ULONG_PTR_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(SizeT, SIZE_T, SIZET_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(Short, SHORT, SHORT_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(Int, int, INT_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(LongLong, LONGLONG, LONGLONG_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(LongPtr, LONG_PTR, LONG_PTR_ERROR)
KEMU_NTINTSAFE_ARITHMETIC(SSizeT, SSIZE_T, SSIZET_ERROR)
#undef KEMU_NTINTSAFE_ARITHMETIC

// A conversion: the value is stored if `To` holds it exactly (adding zero in infinite precision
// overflows exactly when it does not).
#define KEMU_NTINTSAFE_CONVERSION(FromName, FromType, ToName, ToType, Error)             \
  KEMU_WDK_INLINE NTSTATUS Rtl##FromName##To##ToName(FromType Operand, ToType *Result) { \
    if (__builtin_add_overflow(Operand, (FromType)0, Result)) {                          \
      *Result = (ToType)(Error);                                                         \
      return STATUS_INTEGER_OVERFLOW;                                                    \
    }                                                                                    \
    return STATUS_SUCCESS;                                                               \
  }

// Narrowing unsigned conversions.
KEMU_NTINTSAFE_CONVERSION(UShort, USHORT, UChar, UCHAR, UCHAR_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULong, ULONG, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULong, ULONG, UChar, UCHAR, UCHAR_ERROR)
KEMU_NTINTSAFE_CONVERSION(UInt, unsigned int, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, SizeT, SIZE_T, SIZET_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, ULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongPtr, ULONG_PTR, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongPtr, ULONG_PTR, UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_CONVERSION(SizeT, SIZE_T, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(SizeT, SIZE_T, UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_CONVERSION(SizeT, SIZE_T, UShort, USHORT, USHORT_ERROR)
// Unsigned to signed.
KEMU_NTINTSAFE_CONVERSION(ULong, ULONG, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULong, ULONG, Int, int, INT_ERROR)
KEMU_NTINTSAFE_CONVERSION(UInt, unsigned int, Int, int, INT_ERROR)
KEMU_NTINTSAFE_CONVERSION(UInt, unsigned int, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, LongLong, LONGLONG, LONGLONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(ULongLong, ULONGLONG, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(SizeT, SIZE_T, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(SizeT, SIZE_T, SSizeT, SSIZE_T, SSIZET_ERROR)
// Signed to unsigned (a negative value never fits).
KEMU_NTINTSAFE_CONVERSION(Long, LONG, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, UChar, UCHAR, UCHAR_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, SizeT, SIZE_T, SIZET_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, ULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
KEMU_NTINTSAFE_CONVERSION(Int, int, UInt, unsigned int, UINT_ERROR)
KEMU_NTINTSAFE_CONVERSION(Int, int, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(Int, int, SizeT, SIZE_T, SIZET_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, ULongLong, ULONGLONG, ULONGLONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, SizeT, SIZE_T, SIZET_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongPtr, LONG_PTR, ULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongPtr, LONG_PTR, ULong, ULONG, ULONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(SSizeT, SSIZE_T, SizeT, SIZE_T, SIZET_ERROR)
// Narrowing signed conversions.
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, Int, int, INT_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongPtr, LONG_PTR, Long, LONG, LONG_ERROR)
KEMU_NTINTSAFE_CONVERSION(Long, LONG, Short, SHORT, SHORT_ERROR)
// The 16-bit targets drivers meet in descriptor and counted-string lengths. INT_PTR and UINT_PTR
// are LONG_PTR and ULONG_PTR on x64.
KEMU_NTINTSAFE_CONVERSION(Int, int, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(Short, SHORT, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(UShort, USHORT, Short, SHORT, SHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(LongLong, LONGLONG, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(IntPtr, LONG_PTR, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(UIntPtr, ULONG_PTR, UShort, USHORT, USHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(UInt, unsigned int, Short, SHORT, SHORT_ERROR)
KEMU_NTINTSAFE_CONVERSION(Short, SHORT, ULong, ULONG, ULONG_ERROR)
#undef KEMU_NTINTSAFE_CONVERSION

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_NTINTSAFE_H_
