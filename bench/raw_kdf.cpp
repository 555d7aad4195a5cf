// Times raw library key derivations, the same work through the pwsvc Engine,
// the Argon2 engines side by side, and the rejection of hostile hashes.
//
//   raw_kdf workloads [SAMPLES]    raw call vs Engine::hash vs Engine::verify
//   raw_kdf engines [SAMPLES]      Argon2 through libsodium, libargon2 and pwsvc
//   raw_kdf once WORKLOAD          one raw call (argon2id, bcrypt, scrypt or pbkdf2)
//   raw_kdf hostile FILE [REPEATS] Engine::verify on every row of hostile.jsonl
//
// Contenders are interleaved: each sample runs every contender once, in an
// order that rotates from sample to sample, so that load from other processes
// spreads over all of them. Prints one JSON object; keys name their time unit.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <argon2.h>
#include <boost/json.hpp>
#include <crypt.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "argon2_backend.hpp"
#include "pwsvc/engine.hpp"

namespace {

using namespace pwsvc;

constexpr std::string_view k_password = "correct horse battery staple";
constexpr std::size_t k_tag_bytes = 32;

// One timed call; returns false when the library call failed.
using Call = std::function<bool()>;

struct Contender {
  std::string group;
  std::string name;
  Call call;
  std::vector<double> samples_ms;
};

void add(std::vector<Contender>& contenders, std::string group, std::string name, Call call) {
  contenders.push_back({std::move(group), std::move(name), std::move(call), {}});
}

[[noreturn]] void die(const std::string& message) {
  std::cerr << "raw_kdf: error: " << message << "\n";
  std::exit(1);
}

double time_call_ms(const Contender& contender) {
  const auto start = std::chrono::steady_clock::now();
  const bool ok = contender.call();
  const auto stop = std::chrono::steady_clock::now();
  if (!ok) {
    die(contender.group + " / " + contender.name + " failed");
  }
  return std::chrono::duration<double, std::milli>(stop - start).count();
}

// Returns the value at `fraction` of the sorted `values`, interpolating.
double quantile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const double position = fraction * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(position);
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double weight = position - static_cast<double>(below);
  return values[below] * (1 - weight) + values[above] * weight;
}

double rounded(double value) {
  return static_cast<double>(static_cast<long long>(value * 1000 + 0.5)) / 1000;
}

// Summarizes samples as n, median, quartiles and range, with keys ending in `unit`.
boost::json::object summarize(const std::vector<double>& samples, const std::string& unit = "ms") {
  return {{"n", samples.size()},
          {"median_" + unit, rounded(quantile(samples, 0.5))},
          {"p25_" + unit, rounded(quantile(samples, 0.25))},
          {"p75_" + unit, rounded(quantile(samples, 0.75))},
          {"min_" + unit, rounded(quantile(samples, 0.0))},
          {"max_" + unit, rounded(quantile(samples, 1.0))}};
}

// Runs one warm-up call of each contender, then `samples` interleaved rounds.
void run_interleaved(std::vector<Contender>& contenders, int samples) {
  for (const auto& contender : contenders) {
    time_call_ms(contender);
  }
  const std::size_t count = contenders.size();
  for (int sample = 0; sample < samples; ++sample) {
    for (std::size_t step = 0; step < count; ++step) {
      Contender& contender = contenders[(static_cast<std::size_t>(sample) + step) % count];
      contender.samples_ms.push_back(time_call_ms(contender));
    }
  }
}

boost::json::array report(const std::vector<Contender>& contenders) {
  boost::json::array rows;
  for (const auto& contender : contenders) {
    boost::json::object row = summarize(contender.samples_ms);
    row["group"] = contender.group;
    row["contender"] = contender.name;
    boost::json::array samples;
    for (const double sample : contender.samples_ms) {
      samples.push_back(rounded(sample));
    }
    row["samples_ms"] = std::move(samples);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<unsigned char> random_salt() {
  std::vector<unsigned char> salt(16);
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

std::string hash_with(const Engine& engine, const HashRequest& request) {
  auto stored = engine.hash(as_bytes(k_password), request);
  if (!stored) {
    die("Engine::hash failed: " + stored.error().message);
  }
  return *stored;
}

// Adds Engine::hash and Engine::verify contenders for one workload.
void add_engine_contenders(std::vector<Contender>& contenders, const std::string& group,
                           const Engine& engine, HashRequest request) {
  const std::string stored = hash_with(engine, request);
  add(contenders, group, "Engine::hash", [&engine, request] {
    return engine.hash(as_bytes(k_password), request).has_value();
  });
  add(contenders, group, "Engine::verify", [&engine, stored] {
    const auto result = engine.verify(as_bytes(k_password), stored);
    return result && result->match;
  });
}

Call libsodium_argon2id(std::uint32_t memory_kib, std::uint32_t iterations) {
  return [memory_kib, iterations, salt = random_salt()] {
    unsigned char tag[k_tag_bytes];
    return crypto_pwhash(tag, sizeof tag, k_password.data(), k_password.size(), salt.data(),
                         iterations, std::size_t{memory_kib} * 1024,
                         crypto_pwhash_ALG_ARGON2ID13) == 0;
  };
}

Call libxcrypt_bcrypt(unsigned long cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", cost, nullptr, 0, setting, sizeof setting) == nullptr) {
    die("crypt_gensalt_rn failed for bcrypt");
  }
  return [setting = std::string(setting)] {
    // crypt_data is about 32 KiB, too large for the stack of every caller.
    auto data = std::make_unique<crypt_data>();
    const char* output = crypt_rn(std::string(k_password).c_str(), setting.c_str(), data.get(),
                                  sizeof(crypt_data));
    return output != nullptr && output[0] != '*';
  };
}

Call libsodium_scrypt(std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  return [n, r, p, salt = random_salt()] {
    unsigned char key[k_tag_bytes];
    return crypto_pwhash_scryptsalsa208sha256_ll(
               reinterpret_cast<const std::uint8_t*>(k_password.data()), k_password.size(),
               salt.data(), salt.size(), n, r, p, key, sizeof key) == 0;
  };
}

Call openssl_pbkdf2_sha256(int rounds) {
  return [rounds, salt = random_salt()] {
    unsigned char key[k_tag_bytes];
    return PKCS5_PBKDF2_HMAC(k_password.data(), static_cast<int>(k_password.size()), salt.data(),
                             static_cast<int>(salt.size()), rounds, EVP_sha256(), sizeof key,
                             key) == 1;
  };
}

// The four workloads of the CLI benchmark: raw library call, then the Engine.
int run_workloads(int samples) {
  static const Engine engine;
  std::vector<Contender> contenders;

  add(contenders, "argon2id m=19456 t=2 p=1", "libsodium crypto_pwhash",
      libsodium_argon2id(19456, 2));
  add_engine_contenders(contenders, "argon2id m=19456 t=2 p=1", engine, {});

  add(contenders, "bcrypt cost=12", "libxcrypt crypt_rn", libxcrypt_bcrypt(12));
  add_engine_contenders(contenders, "bcrypt cost=12", engine,
                        {Algorithm::bcrypt, {{"cost", 12}}});

  add(contenders, "scrypt N=2^17 r=8 p=1", "libsodium scryptsalsa208sha256_ll",
      libsodium_scrypt(std::uint64_t{1} << 17, 8, 1));
  add_engine_contenders(contenders, "scrypt N=2^17 r=8 p=1", engine,
                        {Algorithm::scrypt, {{"ln", 17}, {"r", 8}, {"p", 1}}});

  add(contenders, "pbkdf2-sha256 600000", "OpenSSL PKCS5_PBKDF2_HMAC",
      openssl_pbkdf2_sha256(600000));
  add_engine_contenders(contenders, "pbkdf2-sha256 600000", engine,
                        {Algorithm::pbkdf2_sha256, {{"rounds", 600000}}});

  run_interleaved(contenders, samples);
  std::cout << boost::json::serialize(boost::json::object{{"mode", "workloads"},
                                                          {"results", report(contenders)}})
            << "\n";
  return 0;
}

// Runs the raw library call of one workload once, so that a process doing
// only that call can be timed beside the pwsvc process.
int run_once(const std::string& workload) {
  Call call;
  if (workload == "argon2id") {
    call = libsodium_argon2id(19456, 2);
  } else if (workload == "bcrypt") {
    call = libxcrypt_bcrypt(12);
  } else if (workload == "scrypt") {
    call = libsodium_scrypt(std::uint64_t{1} << 17, 8, 1);
  } else if (workload == "pbkdf2") {
    call = openssl_pbkdf2_sha256(600000);
  } else {
    die("unknown workload '" + workload + "'; use argon2id, bcrypt, scrypt or pbkdf2");
  }
  return call() ? 0 : 1;
}

Call pwsvc_argon2(Argon2Params params, std::vector<unsigned char> salt) {
  return [params, salt] {
    Argon2Params with_salt = params;
    with_salt.salt = salt;
    return derive_argon2(choose_engine(with_salt), with_salt, as_bytes(k_password)).has_value();
  };
}

Call libargon2_threads(Argon2Params params, std::vector<unsigned char> salt,
                       std::uint32_t threads) {
  return [params, salt, threads] {
    Argon2Params with_salt = params;
    with_salt.salt = salt;
    return derive_argon2_threads(with_salt, as_bytes(k_password), threads).has_value();
  };
}

std::string engine_name(Argon2Engine engine) {
  return engine == Argon2Engine::libsodium ? "libsodium" : "libargon2";
}

// Argon2id p=1 through each engine, and p=4 through libargon2 on 1, 2 and 4 threads.
int run_engines(int samples) {
  const std::vector<unsigned char> salt = random_salt();
  Argon2Params single{Algorithm::argon2id, 19, 19456, 2, 1, salt, k_tag_bytes};
  Argon2Params lanes{Algorithm::argon2id, 19, 65536, 3, 4, salt, k_tag_bytes};

  const std::string p1 = "argon2id m=19456 t=2 p=1";
  const std::string p4 = "argon2id m=65536 t=3 p=4";
  std::vector<Contender> contenders;
  add(contenders, p1, "pwsvc derive_argon2 (" + engine_name(choose_engine(single)) + ")",
      pwsvc_argon2(single, salt));
  add(contenders, p1, "libsodium crypto_pwhash", libsodium_argon2id(19456, 2));
  add(contenders, p1, "libargon2, 1 thread", libargon2_threads(single, salt, 1));
  for (std::uint32_t threads : {1u, 2u, 4u}) {
    const std::string label = std::to_string(threads) + (threads == 1 ? " thread" : " threads");
    add(contenders, p4, "libargon2, " + label, libargon2_threads(lanes, salt, threads));
  }

  run_interleaved(contenders, samples);
  std::cout << boost::json::serialize(boost::json::object{
                   {"mode", "engines"},
                   {"pwsvc_p4_engine", engine_name(choose_engine(lanes))},
                   {"pwsvc_p4_threads", default_argon2_threads(4)},
                   {"results", report(contenders)}})
            << "\n";
  return 0;
}

struct HostileRow {
  std::string id;
  std::string reason;
  std::string hash;
  std::vector<unsigned char> password;
};

std::vector<unsigned char> decode_base64(const std::string& text) {
  std::vector<unsigned char> bytes(text.size());
  std::size_t size = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.c_str(), text.size(), nullptr, &size,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    die("password_b64 is not valid base64");
  }
  bytes.resize(size);
  return bytes;
}

std::vector<HostileRow> read_hostile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    die("cannot open " + path);
  }
  std::vector<HostileRow> rows;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) {
      continue;
    }
    const boost::json::object object = boost::json::parse(line).as_object();
    const auto text = [&object](std::string_view key) {
      const auto* value = object.if_contains(key);
      return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
    };
    rows.push_back({text("id"), text("reason"), text("hash"), decode_base64(text("password_b64"))});
  }
  return rows;
}

// Verifies every hostile row `repeats` times and records the median time
// per row in microseconds. A row that verifies instead of failing is listed as accepted.
int run_hostile(const std::string& path, int repeats) {
  static const Engine engine;
  const std::vector<HostileRow> rows = read_hostile(path);
  boost::json::array per_row;
  std::vector<double> medians;
  for (const auto& row : rows) {
    std::vector<double> times;
    std::string outcome;
    for (int repeat = 0; repeat < repeats; ++repeat) {
      const auto start = std::chrono::steady_clock::now();
      const auto result = engine.verify(row.password, row.hash);
      const auto stop = std::chrono::steady_clock::now();
      times.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
      outcome = result ? (result->match ? "accepted: match" : "accepted: mismatch")
                       : std::string(error_code_name(result.error().code));
    }
    medians.push_back(quantile(times, 0.5));
    per_row.push_back({{"id", row.id},
                       {"reason", row.reason},
                       {"outcome", outcome},
                       {"median_us", rounded(medians.back())}});
  }

  std::cout << boost::json::serialize(boost::json::object{{"mode", "hostile"},
                                                          {"rows", rows.size()},
                                                          {"repeats", repeats},
                                                          {"per_row_medians", summarize(medians, "us")},
                                                          {"per_row", std::move(per_row)}})
            << "\n";
  return 0;
}

int parse_count(int argc, char** argv, int index, int fallback) {
  if (argc <= index) {
    return fallback;
  }
  const int value = std::atoi(argv[index]);
  if (value < 1) {
    die(std::string("invalid count '") + argv[index] + "'; use a positive integer");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    die("libsodium failed to initialise");
  }
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "workloads") {
    return run_workloads(parse_count(argc, argv, 2, 15));
  }
  if (mode == "engines") {
    return run_engines(parse_count(argc, argv, 2, 15));
  }
  if (mode == "once" && argc > 2) {
    return run_once(argv[2]);
  }
  if (mode == "hostile" && argc > 2) {
    return run_hostile(argv[2], parse_count(argc, argv, 3, 5));
  }
  std::cerr << "usage: raw_kdf workloads [SAMPLES] | engines [SAMPLES] | once WORKLOAD | "
               "hostile FILE [REPEATS]\n";
  return 2;
}
