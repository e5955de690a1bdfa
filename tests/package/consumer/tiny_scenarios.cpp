// The consumer's scenario runner: kemu::scenario_main plus an adapter for the tiny driver.
#include <kemu/scenario/main.hpp>
#include <memory>

#include "tiny_driver.h"

namespace {

class TinyAdapter : public kemu::scenario::DriverAdapter {
 public:
  NTSTATUS Start(kemu::Device& device) override {
    return TinyStartDevice(&extension_, device.pdo(), device.translated_resources());
  }
  void Stop(kemu::Device&) override { TinyStopDevice(&extension_); }

 private:
  TINY_EXTENSION extension_{};
};

}  // namespace

void kemu::scenario::ConfigureRunner(RunnerConfig& config) {
  config.adapters.Add("tiny", [] { return std::make_unique<TinyAdapter>(); });
  config.default_paths = {TINY_SCENARIOS_DIR};
}
