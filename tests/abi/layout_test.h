// Entry points shared by the C and C++ halves of abi_layout_test.
#ifndef KEMU_TESTS_ABI_LAYOUT_TEST_H_
#define KEMU_TESTS_ABI_LAYOUT_TEST_H_

#ifdef __cplusplus
extern "C" {
#endif

/// Runtime checks of the C view of the headers; returns the number of failures.
int KemuAbiLayoutCheckC(void);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_ABI_LAYOUT_TEST_H_
