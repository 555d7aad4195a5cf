// BreachIndex: a memory-mapped index of breached-password SHA-1 digests.
//
// File format, version 1. All integers are little-endian.
//
//   offset 0   8 bytes   magic "PWSVCBI1"
//   offset 8   u32       version, 1
//   offset 12  u32       record size in bytes, 12
//   offset 16  u64       entry count N
//   offset 24  u32       bucket bits B, 8 to 20
//   offset 28  36 bytes  reserved, zero
//   offset 64  u64[2^B + 1]  bucket table: entry b is the index of the first
//                        record whose key has b as its top B bits, and the
//                        last entry is N
//   then       N records of 12 bytes, sorted by key ascending, keys unique:
//                u64 key    the first 8 bytes of the SHA-1 digest read as a
//                           big-endian integer
//                u32 count  times seen in the breach list, saturated at 2^32 - 1
//
// A lookup reads two adjacent bucket table entries and binary-searches one
// bucket of 128 to 256 records on average (about 950 at 10^9 entries,
// because B stops at 20).
//
// Keys are 64-bit prefixes, so two different digests can share a key. With
// N = 10^9 entries the chance that a digest not in the list matches some key
// is about N / 2^64, or 5e-11 per lookup; such a false positive only makes a
// password look breached. Records with equal keys are merged into one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "pwsvc/result.hpp"
#include "pwsvc/secret.hpp"

namespace pwsvc {

using Sha1Digest = std::array<unsigned char, 20>;

// Computes the SHA-1 digest of `bytes` with OpenSSL's libcrypto.
Sha1Digest sha1_digest(ByteView bytes);

// Line format of a breach list.
enum class BreachListFormat {
  automatic,  // hibp when the first non-empty line parses as hibp, else words
  hibp,       // "HEX" or "HEX:COUNT": 40 hex digits of a SHA-1, any case
  words,      // each line is one password; its SHA-1 is stored with count 1
};

struct BreachBuildOptions {
  BreachListFormat format = BreachListFormat::automatic;
  std::size_t memory_bytes = std::size_t{256} << 20;  // sort buffer; runs spill to disk past it
};

// Counts from one build.
struct BreachBuildStats {
  BreachListFormat format = BreachListFormat::automatic;  // the format used, never automatic
  std::uint64_t lines = 0;                                // lines read, empty ones included
  std::uint64_t entries = 0;                              // records written
  std::uint64_t duplicates = 0;                           // records merged into an equal key
  std::uint64_t runs = 0;                                 // sorted runs spilled to disk
  std::uint64_t index_bytes = 0;                          // size of the written index
};

// The smallest memory_bytes the builder accepts.
inline constexpr std::size_t k_breach_min_memory_bytes = std::size_t{1} << 20;

// Builds the index at `index_path` from the list at `list_path`. Equal keys
// are merged by summing their counts. Empty lines are skipped and a trailing
// "\r" is removed. Lines over 65536 bytes, and in hibp format lines that do
// not parse, are malformed: the build fails with an invalid_argument error
// that counts them and names the first few by line number.
// Sorted runs beyond `memory_bytes` go to unlinked temporary files next to
// `index_path`. The index is written to a temporary file in the same
// directory, synced and renamed, so `index_path` is never half-written.
// A list that cannot be opened is invalid_argument; failures to read or
// write files after that are unavailable errors.
Result<BreachBuildStats> build_breach_index(const std::string& list_path,
                                            const std::string& index_path,
                                            const BreachBuildOptions& options);

// A read-only, memory-mapped breach index. Lookups are const, allocate
// nothing and are safe from any number of threads at once.
// NOTE: the file must be replaced by renaming a new one over it, as
// build_breach_index() does. Truncating or rewriting it in place while it is
// mapped makes the next lookup fail with SIGBUS or read stale records.
class BreachIndex {
 public:
  BreachIndex(const BreachIndex&) = delete;
  BreachIndex& operator=(const BreachIndex&) = delete;
  BreachIndex(BreachIndex&& other) noexcept;
  BreachIndex& operator=(BreachIndex&& other) noexcept;
  ~BreachIndex();

  // Maps the index at `path` and checks its header, size and bucket table.
  // A file that cannot be opened or is not a valid index is an
  // invalid_argument error naming `path`; a failed mmap is unavailable.
  static Result<BreachIndex> open(const std::string& path);

  // Looks up a digest. Returns its count, or nothing when it is absent.
  std::optional<std::uint32_t> contains(const Sha1Digest& digest) const;

  // Looks up the SHA-1 of exactly `password`, with no trimming.
  std::optional<std::uint32_t> contains_password(ByteView password) const;

  std::uint64_t entry_count() const { return entry_count_; }

 private:
  BreachIndex() = default;
  void release();

  const unsigned char* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  const unsigned char* bucket_table_ = nullptr;
  const unsigned char* records_ = nullptr;
  std::uint64_t entry_count_ = 0;
  unsigned bucket_bits_ = 0;
};

}  // namespace pwsvc
