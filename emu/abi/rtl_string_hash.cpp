// RtlHashUnicodeString (Windows XP on): the x65599 hash drivers key their lookup tables by.
// docs/kernel.md, "Strings"; docs/windows-facts.md §22.
#include <wdm.h>

#include <cstddef>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "model/unicode_case.hpp"

extern "C" {

// IRQL <= APC_LEVEL. Unlike most string routines it checks its pointers: a NULL String or
// HashValue, or an algorithm other than DEFAULT and X65599, is STATUS_INVALID_PARAMETER with
// nothing written, as its page says.
NTSTATUS RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG HashAlgorithm,
                              PULONG HashValue) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlHashUnicodeString, KEMU_ARG(String), KEMU_ARG(CaseInSensitive),
                 KEMU_ARG(HashAlgorithm), KEMU_ARG(HashValue));
  kemu::abi::AtMost(kernel, "RtlHashUnicodeString", APC_LEVEL);
  if (String == nullptr || HashValue == nullptr) return STATUS_INVALID_PARAMETER;
  kemu::abi::CheckCountedBuffer(kernel, "RtlHashUnicodeString", String->Buffer, String->Length,
                                "String");
  // DEFAULT is x65599 today (the page); a driver that stored hashes across boots asked for it
  // by name.
  if (HashAlgorithm != HASH_STRING_ALGORITHM_DEFAULT &&
      HashAlgorithm != HASH_STRING_ALGORITHM_X65599) {
    return STATUS_INVALID_PARAMETER;
  }
  // x65599: from 0, each character (its upper case when case does not matter, so that both cases
  // hash alike) is added to 65599 times the hash so far, in 32 bits.
  ULONG hash = 0;
  for (std::size_t i = 0; i < String->Length / sizeof(WCHAR); ++i) {
    const WCHAR c = String->Buffer[i];
    hash = hash * 65599u + static_cast<ULONG>(CaseInSensitive ? kemu::model::UpcaseChar(c) : c);
  }
  *HashValue = hash;
  return STATUS_SUCCESS;
}

}  // extern "C"
