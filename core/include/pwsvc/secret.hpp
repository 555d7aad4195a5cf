// SecretBytes: an owned byte buffer for passwords and derived keys.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace pwsvc {

using ByteView = std::span<const unsigned char>;

// Owns secret bytes and wipes them with sodium_memzero when destroyed or
// grown. It cannot be copied and has no formatter, so a secret cannot be
// logged by accident. Not thread-safe.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  // Copies `bytes` into a new buffer.
  static SecretBytes copy_of(ByteView bytes);
  static SecretBytes copy_of(std::string_view bytes);

  // Appends bytes; a reallocation wipes the old buffer before freeing it.
  void append(ByteView bytes);
  // Shrinks the visible size without reallocating; the cut bytes are wiped.
  void truncate(std::size_t size);
  void clear();

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_, size_}; }

 private:
  void reserve(std::size_t capacity);
  void release();

  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Compares two byte strings in time that depends only on their lengths.
// Lengths are public for every format pwsvc handles.
bool constant_time_equal(ByteView a, ByteView b);

// Returns `text` as bytes, without copying.
inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace pwsvc
