// Keyring: the pepper keys, each with an id, of which one is active.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pwsvc/result.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

// Bytes in one pepper key.
inline constexpr std::size_t k_pepper_key_bytes = 32;

// Key facts that may be shown: never the key bytes.
struct KeyInfo {
  std::string id;
  std::string created;  // UTC, as 2026-12-04T22:38:34Z
  bool active = false;
};

// Checks a key id: 1 to 8 letters, digits, '-' or '_'. Eight bytes is the
// most an Argon2 PHC string's keyid parameter may hold.
Result<void> check_key_id(std::string_view id);

// Keys in one guarded libsodium allocation: locked in memory, read-only
// after loading, and wiped when the keyring is destroyed. Not copyable; share
// it through std::shared_ptr<const Keyring>. Thread-safe once built.
//
// The text form has one entry per line; '#' starts a comment line:
//   active ID
//   key ID CREATED BASE64-OF-32-BYTES
class Keyring {
 public:
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;
  ~Keyring();

  // Parses the text form. Errors name the line and never quote key bytes.
  static Result<std::shared_ptr<const Keyring>> parse(std::string_view text);

  // Reads `path`, which must be a regular file that neither the group nor
  // others can read or write.
  static Result<std::shared_ptr<const Keyring>> load(const std::filesystem::path& path);

  // Returns the key bytes for `id`, or nothing when the keyring lacks it.
  std::optional<ByteView> key(std::string_view id) const;

  const std::string& active_id() const { return active_id_; }
  // Returns the active key's bytes, which live as long as the keyring.
  ByteView active_key() const {
    return {keys_ + active_index_ * k_pepper_key_bytes, k_pepper_key_bytes};
  }
  bool contains(std::string_view id) const;
  std::vector<KeyInfo> list() const;

  // Returns the text form with `extra` added, or with `activate` made the
  // active key; the result contains key bytes, so it is a SecretBytes.
  SecretBytes text_with(const KeyInfo* extra, ByteView extra_key,
                        std::string_view activate) const;

 private:
  struct Entry {
    std::string id;
    std::string created;
  };

  Keyring() = default;

  std::vector<Entry> entries_;
  std::string active_id_;
  std::size_t active_index_ = 0;
  unsigned char* keys_ = nullptr;  // entries_.size() * k_pepper_key_bytes, guarded
};

// The prefix of every hash sealed in encrypt mode.
inline constexpr std::string_view k_sealed_hash_prefix = "$pwsvc-sealed$";

// The outcome of resealing a sealed hash that opened.
enum class Reseal {
  resealed,        // sealed again under the active key
  already_active,  // under the active key already, appended unchanged
};

// Opens `sealed` without any password and appends it to `out` sealed again
// under the active key, or unchanged when the active key sealed it already.
// Every seal is opened, so one altered under the active key fails too. Fails,
// naming the key id, when the keyring lacks its key or the seal does not
// open; `out` is then unchanged. Reuses per-thread buffers, so a warm call
// allocates only when `out` grows. The opened hash is wiped after use.
Result<Reseal> reseal(std::string_view sealed, const Keyring& keyring, std::string& out);

// Returns the text form of a keyring with the one key `info`, made active.
SecretBytes new_keyring_text(const KeyInfo& info, ByteView key);

// Generates a new random key.
SecretBytes generate_pepper_key();

// Returns the current time as a keyring's CREATED field.
std::string keyring_timestamp();

}  // namespace pwsvc
