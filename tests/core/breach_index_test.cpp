// Tests of the breach index builder and memory-mapped reader on generated lists.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pwsvc/breach_index.hpp"

namespace fs = std::filesystem;
using pwsvc::BreachBuildOptions;
using pwsvc::BreachIndex;
using pwsvc::BreachListFormat;
using pwsvc::Sha1Digest;

namespace {

// A fresh directory under the system temporary directory, removed afterwards.
class TempDirectory {
 public:
  TempDirectory() {
    std::random_device seed;
    path_ = fs::temp_directory_path() / ("pwsvc-breach-test-" + std::to_string(seed()));
    fs::create_directories(path_);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory() { fs::remove_all(path_); }

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string hex_of(const Sha1Digest& digest, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string text;
  for (const unsigned char byte : digest) {
    text += digits[byte >> 4];
    text += digits[byte & 0x0f];
  }
  return text;
}

Sha1Digest random_digest(std::mt19937_64& random) {
  Sha1Digest digest;
  for (unsigned char& byte : digest) {
    byte = static_cast<unsigned char>(random());
  }
  return digest;
}

Sha1Digest password_digest(const std::string& password) {
  return pwsvc::sha1_digest(pwsvc::as_bytes(password));
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct Member {
  Sha1Digest digest;
  std::uint32_t count;
};

// Writes `members` as HIBP lines with mixed case and some CRLF endings.
void write_hibp_list(const std::string& path, const std::vector<Member>& members) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < members.size(); ++i) {
    out << hex_of(members[i].digest, i % 2 == 0) << ':' << members[i].count
        << (i % 3 == 0 ? "\r\n" : "\n");
  }
}

}  // namespace

TEST_CASE("breach_index: chunked build finds every member", "[core][breach]") {
  TempDirectory directory;
  std::mt19937_64 random(20261205);
  std::vector<Member> members;
  for (int i = 0; i < 200000; ++i) {
    members.push_back({random_digest(random), static_cast<std::uint32_t>(random() % 1000000 + 1)});
  }
  const Sha1Digest known = password_digest("correct horse battery staple");
  members.push_back({known, 42});
  const std::string list = directory.file("list.txt");
  write_hibp_list(list, members);

  // 1 MiB fits 65536 entries, so 200001 entries make four sorted runs.
  const std::string index_path = directory.file("index.bin");
  const auto stats = pwsvc::build_breach_index(
      list, index_path, BreachBuildOptions{BreachListFormat::automatic, std::size_t{1} << 20});
  REQUIRE(stats);
  CHECK(stats->format == BreachListFormat::hibp);
  CHECK(stats->runs == 4);
  CHECK(stats->entries == members.size());
  CHECK(stats->duplicates == 0);
  CHECK(stats->index_bytes == fs::file_size(index_path));

  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->entry_count() == members.size());

  std::size_t missing = 0;
  std::size_t wrong_count = 0;
  for (const Member& member : members) {
    const auto count = index->contains(member.digest);
    missing += count ? 0 : 1;
    wrong_count += count && *count != member.count ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(wrong_count == 0);
  CHECK(index->contains_password(pwsvc::as_bytes("correct horse battery staple")) == 42u);

  std::mt19937_64 other(7);
  std::size_t false_hits = 0;
  for (int i = 0; i < 100000; ++i) {
    false_hits += index->contains(random_digest(other)) ? 1 : 0;
  }
  CHECK(false_hits == 0);
  CHECK_FALSE(index->contains_password(pwsvc::as_bytes("correct horse battery staplE")));
}

TEST_CASE("breach_index: duplicates merge across runs", "[core][breach]") {
  TempDirectory directory;
  std::mt19937_64 random(99);
  const Sha1Digest repeated = password_digest("hunter2");
  std::vector<Member> members = {{repeated, 3}};
  for (int i = 0; i < 70000; ++i) {
    members.push_back({random_digest(random), 1});
  }
  members.push_back({repeated, 4});
  members.push_back({repeated, 5});
  const std::string list = directory.file("list.txt");
  write_hibp_list(list, members);

  const std::string index_path = directory.file("index.bin");
  const auto stats = pwsvc::build_breach_index(
      list, index_path, BreachBuildOptions{BreachListFormat::hibp, std::size_t{1} << 20});
  REQUIRE(stats);
  CHECK(stats->runs == 2);
  CHECK(stats->entries == 70001);
  CHECK(stats->duplicates == 2);

  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->contains(repeated) == 12u);
}

TEST_CASE("breach_index: counts saturate and may be absent", "[core][breach]") {
  TempDirectory directory;
  const Sha1Digest big = password_digest("big");
  const Sha1Digest bare = password_digest("bare");
  const std::string list = directory.file("list.txt");
  write_file(list, hex_of(big, true) + ":99999999999\n" + hex_of(big, false) + ":5\n\n" +
                       hex_of(bare, false) + "\n");

  const std::string index_path = directory.file("index.bin");
  REQUIRE(pwsvc::build_breach_index(list, index_path, {}));
  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->contains(big) == 4294967295u);
  CHECK(index->contains(bare) == 1u);
}

TEST_CASE("breach_index: malformed lines name their numbers", "[core][breach]") {
  TempDirectory directory;
  const std::string good = hex_of(password_digest("x"), false) + ":1\n";
  std::string text = good + "not a hash\n" + good + good.substr(0, 39) + ":1\n" +
                     hex_of(password_digest("y"), false) + ":12a\n";
  for (int i = 0; i < 10; ++i) {
    text += "zz\n";
  }
  const std::string list = directory.file("list.txt");
  write_file(list, text);

  const std::string index_path = directory.file("index.bin");
  const auto stats = pwsvc::build_breach_index(list, index_path, {});
  REQUIRE_FALSE(stats);
  CHECK(stats.error().code == pwsvc::ErrorCode::invalid_argument);
  CHECK_THAT(stats.error().message, Catch::Contains(list));
  CHECK_THAT(stats.error().message, Catch::Contains("13 malformed line(s)"));
  CHECK_THAT(stats.error().message, Catch::Contains("line(s) 2 4 5 6 7."));
  CHECK_FALSE(fs::exists(index_path));
  CHECK(std::distance(fs::directory_iterator(fs::path(list).parent_path()), {}) == 1);
}

TEST_CASE("breach_index: overlong word lines are malformed", "[core][breach]") {
  TempDirectory directory;
  const std::string list = directory.file("words.txt");
  write_file(list, "first\n" + std::string(65536, 'a') + "\nthird\n" + std::string(3000000, 'b') +
                       "\nlast");

  const std::string index_path = directory.file("index.bin");
  const auto stats = pwsvc::build_breach_index(list, index_path, {});
  REQUIRE_FALSE(stats);
  CHECK_THAT(stats.error().message, Catch::Contains("1 malformed line(s)"));
  CHECK_THAT(stats.error().message, Catch::Contains("line(s) 4."));

  write_file(list, "first\n" + std::string(65537, 'a') + "\nthird\n" + std::string(65536, 'b'));
  const auto second = pwsvc::build_breach_index(list, index_path, {});
  REQUIRE_FALSE(second);
  CHECK_THAT(second.error().message, Catch::Contains("1 malformed line(s)"));
  CHECK_THAT(second.error().message, Catch::Contains("line(s) 2."));
  CHECK_THAT(second.error().message, Catch::Contains("at most 65536 bytes"));

  write_file(list, "first\n" + std::string(65536, 'a') + "\r\nlast");
  REQUIRE(pwsvc::build_breach_index(list, index_path, {}));
  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->contains_password(pwsvc::as_bytes(std::string(65536, 'a'))) == 1u);
  CHECK(index->contains_password(pwsvc::as_bytes("last")) == 1u);
}

TEST_CASE("breach_index: word list stores each password's SHA-1", "[core][breach]") {
  TempDirectory directory;
  const std::string list = directory.file("words.txt");
  write_file(list, "hunter2\npassword\r\nhunter2\n\n  spaced  \n");

  const std::string index_path = directory.file("index.bin");
  const auto stats = pwsvc::build_breach_index(list, index_path, {});
  REQUIRE(stats);
  CHECK(stats->format == BreachListFormat::words);
  CHECK(stats->lines == 5);
  CHECK(stats->entries == 3);

  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->contains_password(pwsvc::as_bytes("hunter2")) == 2u);
  CHECK(index->contains_password(pwsvc::as_bytes("password")) == 1u);
  CHECK(index->contains_password(pwsvc::as_bytes("  spaced  ")) == 1u);
  CHECK_FALSE(index->contains_password(pwsvc::as_bytes("password\r")));
  CHECK_FALSE(index->contains_password(pwsvc::as_bytes("")));
}

TEST_CASE("breach_index: byte order mark is skipped", "[core][breach]") {
  TempDirectory directory;
  const std::string words = directory.file("words.txt");
  write_file(words, "\xEF\xBB\xBFhunter2\npassword\n");
  const std::string hibp = directory.file("hibp.txt");
  write_file(hibp, "\xEF\xBB\xBF" + hex_of(password_digest("a"), true) + ":7\n");

  const std::string words_index = directory.file("words.bin");
  const std::string hibp_index = directory.file("hibp.bin");
  REQUIRE(pwsvc::build_breach_index(words, words_index, {}));
  const auto hibp_stats = pwsvc::build_breach_index(hibp, hibp_index, {});
  REQUIRE(hibp_stats);
  CHECK(hibp_stats->format == BreachListFormat::hibp);

  auto index = BreachIndex::open(words_index);
  REQUIRE(index);
  CHECK(index->contains_password(pwsvc::as_bytes("hunter2")) == 1u);
  auto hibp_opened = BreachIndex::open(hibp_index);
  REQUIRE(hibp_opened);
  CHECK(hibp_opened->contains_password(pwsvc::as_bytes("a")) == 7u);
}

TEST_CASE("breach_index: explicit words format hashes hex lines", "[core][breach]") {
  TempDirectory directory;
  const std::string hex = hex_of(password_digest("a"), false);
  const std::string list = directory.file("words.txt");
  write_file(list, hex + "\n");

  const std::string index_path = directory.file("index.bin");
  REQUIRE(pwsvc::build_breach_index(list, index_path, {BreachListFormat::words, std::size_t{1} << 20}));
  auto index = BreachIndex::open(index_path);
  REQUIRE(index);
  CHECK(index->contains_password(pwsvc::as_bytes(hex)) == 1u);
  CHECK_FALSE(index->contains_password(pwsvc::as_bytes("a")));
}

TEST_CASE("breach_index: damaged files are rejected", "[core][breach]") {
  TempDirectory directory;
  const std::string list = directory.file("words.txt");
  write_file(list, "one\ntwo\nthree\n");
  const std::string index_path = directory.file("index.bin");
  REQUIRE(pwsvc::build_breach_index(list, index_path, {}));
  std::string bytes;
  {
    std::ifstream in(index_path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string damaged = directory.file("damaged.bin");

  SECTION("truncated") {
    write_file(damaged, bytes.substr(0, bytes.size() - 1));
    const auto index = BreachIndex::open(damaged);
    REQUIRE_FALSE(index);
    CHECK(index.error().code == pwsvc::ErrorCode::invalid_argument);
    CHECK_THAT(index.error().message, Catch::Contains(damaged) && Catch::Contains("truncated"));
  }
  SECTION("wrong magic") {
    bytes[0] = 'X';
    write_file(damaged, bytes);
    const auto index = BreachIndex::open(damaged);
    REQUIRE_FALSE(index);
    CHECK_THAT(index.error().message, Catch::Contains("not a pwsvc breach index"));
  }
  SECTION("newer version") {
    bytes[8] = 2;
    write_file(damaged, bytes);
    const auto index = BreachIndex::open(damaged);
    REQUIRE_FALSE(index);
    CHECK_THAT(index.error().message, Catch::Contains("version 2"));
  }
  SECTION("bucket table out of order") {
    bytes[64 + 8 * 10 + 7] = static_cast<char>(0x80);
    write_file(damaged, bytes);
    const auto index = BreachIndex::open(damaged);
    REQUIRE_FALSE(index);
    CHECK_THAT(index.error().message, Catch::Contains("corrupt bucket table"));
  }
  SECTION("empty file") {
    write_file(damaged, "");
    CHECK_FALSE(BreachIndex::open(damaged));
  }
  SECTION("missing file") {
    const auto index = BreachIndex::open(directory.file("absent.bin"));
    REQUIRE_FALSE(index);
    CHECK(index.error().code == pwsvc::ErrorCode::invalid_argument);
    CHECK_THAT(index.error().message, Catch::Contains("absent.bin"));
  }
}

TEST_CASE("breach_index: memory limit below minimum is rejected", "[core][breach]") {
  TempDirectory directory;
  const std::string list = directory.file("words.txt");
  write_file(list, "one\n");
  const auto stats = pwsvc::build_breach_index(list, directory.file("index.bin"),
                                               {BreachListFormat::words, 1000});
  REQUIRE_FALSE(stats);
  CHECK(stats.error().code == pwsvc::ErrorCode::invalid_argument);
  CHECK_THAT(stats.error().message, Catch::Contains("1000 bytes"));
}
