// HostContext on host threads: each worker context is a thread that runs only while it holds its
// group's baton. The baton is a mutex-guarded "holder"; SwitchTo names the next holder, wakes it
// and sleeps until it is named again. Everything one context wrote before it passed the baton is
// visible to the next (the mutex orders them), which is what ThreadSanitizer checks.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "model/host_context.hpp"

namespace kemu::model {

const bool HostContext::kSharesThread = false;

namespace {

struct Baton {
  std::mutex mutex;
  const HostContext::Impl* holder = nullptr;
};

}  // namespace

struct HostContext::Impl {
  std::shared_ptr<Baton> baton;
  std::condition_variable cv;
  std::thread thread;
  bool entered = false;    ///< its body has begun (guarded by the baton's mutex)
  bool abandoned = false;  ///< destroyed before it was ever switched to

  /// Names `next` the holder and wakes it. The caller holds the baton's mutex.
  void PassTo(Impl& next) {
    baton->holder = &next;
    next.cv.notify_one();
  }
  void WaitForBaton(std::unique_lock<std::mutex>& lock) {
    cv.wait(lock, [this] { return baton->holder == this; });
  }
};

HostContext::HostContext() : impl_(std::make_unique<Impl>()) {
  impl_->baton = std::make_shared<Baton>();
  impl_->baton->holder = impl_.get();
}

HostContext::HostContext(HostContext& group, Body body) : impl_(std::make_unique<Impl>()) {
  impl_->baton = group.impl_->baton;
  Impl* self = impl_.get();
  self->thread = std::thread([self, body = std::move(body)] {
    {
      std::unique_lock lock(self->baton->mutex);
      self->cv.wait(lock, [self] { return self->baton->holder == self || self->abandoned; });
      if (self->abandoned) return;
      self->entered = true;
    }
    HostContext* next = body();
    std::unique_lock lock(self->baton->mutex);
    self->PassTo(*next->impl_);
  });
}

HostContext::~HostContext() {
  if (!impl_->thread.joinable()) return;
  {
    std::unique_lock lock(impl_->baton->mutex);
    if (!impl_->entered) {
      impl_->abandoned = true;
      impl_->cv.notify_one();
    }
  }
  impl_->thread.join();
}

void HostContext::SwitchTo(HostContext& next) {
  std::unique_lock lock(impl_->baton->mutex);
  impl_->PassTo(*next.impl_);
  impl_->WaitForBaton(lock);
}

}  // namespace kemu::model
