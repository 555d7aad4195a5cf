// Fuzzes config loading: TOML text through parse_config, and the same bytes
// as a file through load_config, which must give the same result.
#include <sys/mman.h>
#include <unistd.h>

#include "config.hpp"
#include "fuzz_support.hpp"

using pwsvc::fuzz::check;

namespace {

void check_issues(const std::vector<pwsvc::ConfigIssue>& issues) {
  check(!issues.empty(), "a rejected config has no issue");
  for (const auto& issue : issues) {
    check(!issue.message.empty(), "a config issue has no message");
    check(!pwsvc::format_issue(issue, "pwsvc.toml").empty(), "format_issue returns nothing");
  }
}

// A config that loads must be able to make hashes under its own limits,
// because the daemon hashes with it at start-up.
void check_settings(const pwsvc::Settings& settings) {
  const auto params = pwsvc::resolve_params(settings.policy.algorithm, {}, settings.policy,
                                            settings.limits);
  check(params.has_value(), "a config that loads has a policy its limits reject");
  check(pwsvc::can_hash(settings.policy.algorithm), "a config that loads names a verify-only algorithm");
}

pwsvc::ConfigResult load_through_file(std::string_view text) {
  const int fd = ::memfd_create("pwsvc.toml", 0);
  check(fd >= 0, "memfd_create failed");
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t count = ::write(fd, text.data() + written, text.size() - written);
    check(count > 0, "writing the memory file failed");
    written += static_cast<std::size_t>(count);
  }
  auto loaded = pwsvc::load_config("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = pwsvc::fuzz::as_text(data, size);
  const pwsvc::ConfigResult parsed = pwsvc::parse_config(text);
  if (parsed) {
    check_settings(*parsed);
  } else {
    check_issues(parsed.error());
  }

  const pwsvc::ConfigResult loaded = load_through_file(text);
  check(loaded.has_value() == parsed.has_value(), "load_config and parse_config disagree");
  if (!loaded) {
    check(loaded.error().size() == parsed.error().size(),
          "load_config and parse_config report different issues");
  }
  return 0;
}
