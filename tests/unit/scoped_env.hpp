// An environment variable set (or unset) for one scope, so that neither a test nor the
// developer's own KEMU_SEED / KEMU_TRACE leaks into other tests.
#ifndef KEMU_TESTS_UNIT_SCOPED_ENV_HPP_
#define KEMU_TESTS_UNIT_SCOPED_ENV_HPP_

#include <cstdlib>
#include <optional>
#include <string>

namespace kemu::testing {

class ScopedEnv {
 public:
  /// Sets `name` to `value`, or unsets it for nullptr; the destructor restores the old value.
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_ ? old_->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const char* value) {
    if (value != nullptr) {
      setenv(name_, value, /*overwrite=*/1);
    } else {
      unsetenv(name_);
    }
  }

  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace kemu::testing

#endif  // KEMU_TESTS_UNIT_SCOPED_ENV_HPP_
