// Keyring sources (the config file, a systemd credential or the environment)
// and the engine built with the keyring and the breach index.
#include <cstdlib>
#include <filesystem>

#include "config.hpp"

namespace pwsvc {

namespace {

// Returns whether the credential is there. Any error but a missing file also
// returns true, so that Keyring::load reports it instead of an exception.
bool credential_exists(const std::filesystem::path& path) {
  std::error_code error;
  const bool found = std::filesystem::exists(path, error);
  return found || (error && error != std::errc::no_such_file_or_directory);
}

}  // namespace

Result<std::shared_ptr<const Keyring>> load_keyring(const Settings& settings) {
  std::shared_ptr<const Keyring> keyring;
  if (!settings.pepper.keyring.empty()) {
    auto loaded = Keyring::load(settings.pepper.keyring);
    if (!loaded) {
      return fail(loaded.error().code, "pepper.keyring: " + loaded.error().message);
    }
    keyring = std::move(*loaded);
  } else if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
             credentials != nullptr && *credentials != '\0' &&
             credential_exists(std::filesystem::path(credentials) / k_keyring_credential)) {
    auto loaded = Keyring::load(std::filesystem::path(credentials) / k_keyring_credential);
    if (!loaded) {
      return tl::unexpected(loaded.error());
    }
    keyring = std::move(*loaded);
  } else if (const char* text = std::getenv("PWSVC_KEYRING"); text != nullptr && *text != '\0') {
    // Lambda passes secrets in the environment; the copy there stays the
    // platform's to protect.
    auto parsed = Keyring::parse(text);
    if (!parsed) {
      return fail(parsed.error().code, "$PWSVC_KEYRING: " + parsed.error().message);
    }
    keyring = std::move(*parsed);
  }

  if (!keyring && settings.policy.pepper_required) {
    return fail(ErrorCode::invalid_argument,
                "pepper.required is true, but no keyring is configured; set pepper.keyring, "
                "pass the pwsvc-keyring credential or set $PWSVC_KEYRING");
  }
  return keyring;
}

Result<Engine> make_engine(const Settings& settings) {
  auto keyring = load_keyring(settings);
  if (!keyring) {
    return tl::unexpected(keyring.error());
  }
  std::shared_ptr<const BreachIndex> breach;
  if (const std::string& path = settings.policy.password.breach_index; !path.empty()) {
    auto opened = BreachIndex::open(path);
    if (!opened) {
      return fail(opened.error().code, "password_policy.breach_index: " + opened.error().message);
    }
    breach = std::make_shared<const BreachIndex>(std::move(*opened));
  }
  return Engine(settings.policy, settings.limits, std::move(*keyring), std::move(breach));
}

}  // namespace pwsvc
