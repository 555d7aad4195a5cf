// WipingAllocator: an allocator that zeroes memory before freeing it.
#pragma once

#include <cstddef>
#include <new>

#include <sodium.h>

namespace pwsvc::daemon {

// For buffers that held request bytes, which include passwords.
template <typename T>
struct WipingAllocator {
  using value_type = T;

  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    return static_cast<T*>(::operator new(count * sizeof(T)));
  }

  void deallocate(T* pointer, std::size_t count) noexcept {
    sodium_memzero(pointer, count * sizeof(T));
    ::operator delete(pointer);
  }

  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace pwsvc::daemon
