// header_surface.c again, as C++20: the same names must mean the same in both languages.
#include "header_surface.c"  // NOLINT(bugprone-suspicious-include)
