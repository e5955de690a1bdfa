// How reports show a pool tag: its four characters as !pool prints them, and its value.
#ifndef KEMU_EMU_VERIFIER_POOL_TAG_HPP_
#define KEMU_EMU_VERIFIER_POOL_TAG_HPP_

#include <wdm.h>

#include <string>

namespace kemu::verifier {

/// "'kemu' (0x756d656b)": the tag as the debugger prints it, low byte first.
std::string FormatPoolTag(ULONG tag);

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_POOL_TAG_HPP_
