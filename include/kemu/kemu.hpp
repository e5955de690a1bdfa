// kemu/kemu.hpp — the kemu C++ test API in one include.
//
//   #include <kemu/kemu.hpp>
//   kemu::Machine machine(kemu::Os::kWindows7);
//   ... call the driver's entry points ...
//   machine.Shutdown();
#ifndef KEMU_KEMU_HPP_
#define KEMU_KEMU_HPP_

#include "kemu/bugcheck.hpp"
#include "kemu/data_race.hpp"
#include "kemu/device.hpp"
#include "kemu/driver_imports.hpp"
#include "kemu/error.hpp"
#include "kemu/fault_routines.hpp"
#include "kemu/hardware.hpp"
#include "kemu/machine.hpp"
#include "kemu/os.hpp"
#include "kemu/personality.hpp"
#include "kemu/registry.hpp"
#include "kemu/schedule.hpp"
#include "kemu/version.hpp"

#endif  // KEMU_KEMU_HPP_
