// kemu/error.hpp — errors of the harness itself, as opposed to bug checks of the emulated system.
//
// A driver that calls a routine kemu does not model, or that the selected Windows version does
// not export, is stopped with one of these exceptions; it never gets a made-up success:
//
//   try { KeReadStateSemaphore(&s); } catch (const kemu::NotModelled& e) { std::cerr << e.what(); }
#ifndef KEMU_ERROR_HPP_
#define KEMU_ERROR_HPP_

#include <stdexcept>
#include <string>

namespace kemu {

/// Base of every harness error kemu throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A kernel routine kemu declares but does not model yet. Called from a driver callback (an ISR,
/// a DPC routine, a KeSynchronizeExecution routine: `called_from` says which, and on which
/// personality), it also ends the machine as a bug check would: Machine::crashed() is true and
/// every later kernel call throws this error again.
class NotModelled : public Error {
 public:
  explicit NotModelled(std::string routine, const std::string& called_from = "");
  const std::string& routine() const { return routine_; }

 private:
  std::string routine_;
};

/// A driver called a routine the selected Windows version does not provide; on real Windows the
/// driver would not have loaded. From a driver callback it ends the machine as NotModelled does.
class MissingExport : public Error {
 public:
  MissingExport(std::string routine, std::string os_name, const std::string& called_from = "");
  const std::string& routine() const { return routine_; }

 private:
  std::string routine_;
};

/// A kernel routine was called on a thread with no current kemu::Machine.
class NoMachine : public Error {
 public:
  explicit NoMachine(std::string routine);
};

}  // namespace kemu

#endif  // KEMU_ERROR_HPP_
