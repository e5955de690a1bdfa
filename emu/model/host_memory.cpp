#include "model/host_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#if defined(__linux__)
#include <sys/uio.h>
#else
#include <sys/mman.h>

#include <vector>
#endif

namespace kemu::model {
namespace {

std::uintptr_t PageSize() {
  static const auto size = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

#if defined(__linux__)
// Reads one byte of each page with process_vm_readv on this process: the kernel reports where the
// first unreadable page starts instead of delivering a fault.
std::optional<std::uintptr_t> FirstUnreadablePage(std::uintptr_t first_page,
                                                  std::uintptr_t last_page) {
  constexpr std::size_t kBatch = 1024;  // IOV_MAX on Linux
  const std::uintptr_t page = PageSize();
  std::array<char, kBatch> sink;
  std::array<iovec, kBatch> remote;
  iovec local{sink.data(), sink.size()};
  for (std::uintptr_t at = first_page;;) {
    std::size_t count = 0;
    for (std::uintptr_t p = at; count < kBatch; p += page) {
      remote[count++] = iovec{reinterpret_cast<void*>(p), 1};
      if (p == last_page) break;
    }
    local.iov_len = count;
    const ssize_t read = process_vm_readv(getpid(), &local, 1, remote.data(), count, 0);
    if (read < 0) {
      // Nothing read: the batch's first page is unreadable. Other errors (a kernel without the
      // call) say nothing about the range: treat it as readable, as before this check existed.
      if (errno == EFAULT) return at;
      return std::nullopt;
    }
    if (static_cast<std::size_t>(read) < count)
      return at + static_cast<std::uintptr_t>(read) * page;
    const std::uintptr_t last_read = at + (count - 1) * page;
    if (last_read == last_page) return std::nullopt;
    at = last_read + page;
  }
}
#else
// mincore fails with ENOMEM for a range holding an unmapped page. It cannot see a mapped page
// without read access; such guard pages are rare in what drivers pass, and this branch is for
// hosts without process_vm_readv.
std::optional<std::uintptr_t> FirstUnreadablePage(std::uintptr_t first_page,
                                                  std::uintptr_t last_page) {
  const std::uintptr_t page = PageSize();
  std::vector<char> residency(1);
  for (std::uintptr_t p = first_page;; p += page) {
    if (mincore(reinterpret_cast<void*>(p), page, residency.data()) != 0 && errno == ENOMEM) {
      return p;
    }
    if (p == last_page) return std::nullopt;
  }
}
#endif

}  // namespace

std::optional<std::uintptr_t> FirstUnreadable(const void* begin, std::size_t bytes) {
  if (bytes == 0) return std::nullopt;
  const auto start = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t page = PageSize();
  // A range past the top of the address space: readable at most up to the wrap.
  const std::uintptr_t room = UINTPTR_MAX - start;
  const bool wraps = bytes - 1 > room;
  const std::uintptr_t last = wraps ? UINTPTR_MAX : start + (bytes - 1);
  const std::uintptr_t first_page = start & ~(page - 1);
  const std::uintptr_t last_page = last & ~(page - 1);
  if (const auto bad = FirstUnreadablePage(first_page, last_page)) return std::max(*bad, start);
  if (wraps) return std::uintptr_t{0};
  return std::nullopt;
}

}  // namespace kemu::model
