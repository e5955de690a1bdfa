// driver_idioms_test.c again, as C++20: the same idioms must compile and behave alike.
#include "driver_idioms_test.c"  // NOLINT(bugprone-suspicious-include)
