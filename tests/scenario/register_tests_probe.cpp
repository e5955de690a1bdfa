// A GoogleTest program whose tests are scenarios, for register_tests_test.cpp: registration has
// to happen before RUN_ALL_TESTS, so it is tested in a process of its own.
//
//   register_tests_probe factory|registry <path> [gtest flags]
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "counting_adapter.hpp"
#include "kemu/scenario/gtest.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::cerr << "usage: register_tests_probe factory|registry <path>\n";
    return 64;
  }
  const std::string mode = argv[1];
  int registered = 0;
  if (mode == "factory") {
    registered = kemu::scenario::RegisterTests(argv[2], kemu::scenario::testing::CountingFactory());
  } else {
    kemu::scenario::AdapterRegistry registry;
    registry.Add("counter", kemu::scenario::testing::CountingFactory());
    registered = kemu::scenario::RegisterTests(argv[2], registry);
  }
  std::cout << "registered " << registered << " tests\n";
  return RUN_ALL_TESTS();
}
