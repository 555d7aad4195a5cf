// WipingAllocator and WipedString: memory that is zeroed before it is freed.
#pragma once

#include <cstddef>
#include <new>
#include <string>

#include <sodium.h>

namespace pwsvc {

// For request bodies and headers that hold a password or an API key: every
// block, including the old one when a string grows, is wiped when released.
template <typename T>
struct WipingAllocator {
  using value_type = T;

  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) { return static_cast<T*>(::operator new(count * sizeof(T))); }

  void deallocate(T* pointer, std::size_t count) noexcept {
    sodium_memzero(pointer, count * sizeof(T));
    ::operator delete(pointer);
  }

  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using WipedString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// Zeroes the characters of `text` and empties it.
inline void wipe(WipedString& text) {
  sodium_memzero(text.data(), text.size());
  text.clear();
}

}  // namespace pwsvc
