// The tiny driver's scenario adapter, shared by the consumer's scenario runner (tiny_scenarios.cpp)
// and its fuzz program (tiny_fuzzer.cpp).
#ifndef KEMU_PACKAGE_TINY_ADAPTER_HPP_
#define KEMU_PACKAGE_TINY_ADAPTER_HPP_

#include <kemu/scenario/driver_adapter.hpp>

#include "tiny_driver.h"

class TinyAdapter : public kemu::scenario::DriverAdapter {
 public:
  NTSTATUS Start(kemu::Device& device) override {
    return TinyStartDevice(&extension_, device.pdo(), device.translated_resources());
  }
  void Stop(kemu::Device&) override { TinyStopDevice(&extension_); }

 private:
  TINY_EXTENSION extension_{};
};

#endif  // KEMU_PACKAGE_TINY_ADAPTER_HPP_
