// KEMU_ASAN is 1 when this translation unit is built with AddressSanitizer (gcc or clang), for the
// few places where kemu must tell ASan what it does or avoid what ASan makes costly.
#ifndef KEMU_EMU_MODEL_ADDRESS_SANITIZER_HPP_
#define KEMU_EMU_MODEL_ADDRESS_SANITIZER_HPP_

#if defined(__SANITIZE_ADDRESS__)
#define KEMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEMU_ASAN 1
#endif
#endif

#endif  // KEMU_EMU_MODEL_ADDRESS_SANITIZER_HPP_
