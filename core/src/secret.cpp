// SecretBytes storage: every buffer that held a secret is wiped before release.
#include "pwsvc/secret.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include <sodium.h>

namespace pwsvc {

SecretBytes::SecretBytes(std::size_t size) {
  reserve(size);
  size_ = size;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes SecretBytes::copy_of(ByteView bytes) {
  SecretBytes secret;
  secret.append(bytes);
  return secret;
}

SecretBytes SecretBytes::copy_of(std::string_view bytes) { return copy_of(as_bytes(bytes)); }

void SecretBytes::append(ByteView bytes) {
  if (size_ + bytes.size() > capacity_) {
    reserve(std::max(capacity_ * 2, size_ + bytes.size()));
  }
  if (!bytes.empty()) {
    std::memcpy(data_ + size_, bytes.data(), bytes.size());
  }
  size_ += bytes.size();
}

void SecretBytes::truncate(std::size_t size) {
  if (size < size_) {
    sodium_memzero(data_ + size, size_ - size);
    size_ = size;
  }
}

void SecretBytes::clear() { truncate(0); }

void SecretBytes::reserve(std::size_t capacity) {
  if (capacity <= capacity_) {
    return;
  }

  // A new buffer instead of realloc, because realloc may leave an unwiped copy.
  auto* fresh = new unsigned char[capacity];
  if (size_ > 0) {
    std::memcpy(fresh, data_, size_);
  }
  if (data_ != nullptr) {
    sodium_memzero(data_, capacity_);
    delete[] data_;
  }
  data_ = fresh;
  capacity_ = capacity;
}

void SecretBytes::release() {
  if (data_ != nullptr) {
    sodium_memzero(data_, capacity_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pwsvc
