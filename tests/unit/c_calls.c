/* Placeholder; being written. */
typedef int kemu_c_calls_placeholder;
