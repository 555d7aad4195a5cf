// pwsvcd: the pwsvc operations over HTTP on Unix sockets and TCP.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <iostream>
#include <thread>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "argon2_memory_cache.hpp"
#include "server/server.hpp"
#include "server/tls_context.hpp"

namespace {

using namespace pwsvc;
using namespace pwsvc::daemon;

constexpr std::string_view k_system_config = "/etc/pwsvc/pwsvc.toml";
constexpr std::string_view k_default_socket = "unix:/run/pwsvc/pwsvcd.sock";

struct Options {
  std::string config_path;
  std::vector<std::string> listen;
  std::string memory_budget;
  std::optional<std::uint32_t> workers;
  std::string log_level;
};

std::string config_path(const Options& options) {
  if (!options.config_path.empty()) {
    return options.config_path;
  }
  if (const char* from_env = std::getenv("PWSVC_CONFIG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  std::error_code ignored;
  return std::filesystem::exists(k_system_config, ignored) ? std::string(k_system_config) : "";
}

// Loads the config file and applies the command-line overrides on top.
tl::expected<Settings, std::string> load(const Options& options) {
  Settings settings;
  const std::string path = config_path(options);
  if (!path.empty()) {
    auto loaded = load_config(path);
    if (!loaded) {
      std::string text;
      for (const auto& issue : loaded.error()) {
        text += (text.empty() ? "" : "; ") + format_issue(issue, path);
      }
      return tl::unexpected(text);
    }
    settings = std::move(*loaded);
  }

  if (!options.listen.empty()) {
    for (const auto& address : options.listen) {
      if (!valid_listen_address(address)) {
        return tl::unexpected("invalid --listen '" + address + "'; use " +
                              std::string(k_listen_address_forms));
      }
    }
    settings.daemon.listen = options.listen;
  }
  if (!options.memory_budget.empty()) {
    const auto bytes = parse_size(options.memory_budget);
    if (!bytes || *bytes < (std::uint64_t{1} << 20)) {
      return tl::unexpected("invalid --memory-budget '" + options.memory_budget +
                            "'; use a size of at least 1MiB such as 512MiB or 2GiB");
    }
    settings.daemon.memory_budget = *bytes;
  }
  if (options.workers) {
    settings.daemon.workers = *options.workers;
  }
  if (!options.log_level.empty()) {
    settings.logging.level = LogLevel::info;
    bool known = false;
    for (int level = 0; level <= static_cast<int>(LogLevel::off); ++level) {
      if (log_level_name(static_cast<LogLevel>(level)) == options.log_level) {
        settings.logging.level = static_cast<LogLevel>(level);
        known = true;
      }
    }
    if (!known) {
      return tl::unexpected("invalid --log-level '" + options.log_level +
                            "'; use trace, debug, info, warn, error, critical or off");
    }
  }
  return settings;
}

// Checks what the listeners need: API keys for TCP, and TLS off loopback.
// Sockets that systemd passes replace daemon.listen, and Server::adopt checks
// those itself.
tl::expected<void, std::string> check_listeners(const Settings& settings, bool activated) {
  if (activated) {
    return {};
  }
  const std::vector<std::string> problems = listener_problems(settings.daemon);
  if (!problems.empty()) {
    return tl::unexpected(problems.front());
  }
  return {};
}

// Returns the Argon2 memory each worker may keep, or 0 in a pwsvcd built
// without the libsodium copy that calls the cache (PWSVC_ARGON2_MEMORY_CACHE).
std::size_t argon2_memory_cache(const DaemonSettings& daemon, std::size_t workers) {
  if (!PWSVC_ARGON2_MEMORY_CACHE_LINKED) {
    return 0;
  }
  return argon2_memory_cache_size(daemon.memory_budget, workers);
}

// Returns `value` as a JSON integer when it is whole, so that 100 is written
// as 100 and not as 1E2.
boost::json::value json_number(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

boost::json::object banner(const Settings& settings, std::size_t workers) {
  boost::json::array listen;
  for (const auto& address : settings.daemon.listen) {
    listen.emplace_back(address);
  }
  const DaemonSettings& daemon = settings.daemon;
  return {{"version", PWSVC_VERSION},
          {"algorithm", algorithm_name(settings.policy.algorithm)},
          {"listen", std::move(listen)},
          {"workers", workers},
          {"io_threads", daemon.io_threads},
          {"memory_budget", daemon.memory_budget},
          {"argon2_memory_cache", argon2_memory_cache(daemon, workers)},
          {"max_queue", daemon.max_queue},
          {"queue_timeout_ms", daemon.queue_timeout_ms},
          {"api_keys", daemon.api_keys.size()},
          {"tls", !daemon.tls_certificate.empty()},
          {"rate_limit_per_second", json_number(daemon.rate_limit.requests_per_second)}};
}

// Returns the restart-only [daemon] keys whose values differ, which a reload
// cannot apply.
boost::json::array restart_only_changes(const DaemonSettings& running,
                                        const DaemonSettings& loaded) {
  const std::pair<const char*, bool> keys[] = {
      {"daemon.listen", running.listen != loaded.listen},
      {"daemon.unix_socket_mode", running.unix_socket_mode != loaded.unix_socket_mode},
      {"daemon.tls_certificate", running.tls_certificate != loaded.tls_certificate},
      {"daemon.tls_private_key", running.tls_private_key != loaded.tls_private_key},
      {"daemon.allow_plaintext", running.allow_plaintext != loaded.allow_plaintext},
      {"daemon.workers", running.workers != loaded.workers},
      {"daemon.io_threads", running.io_threads != loaded.io_threads},
      {"daemon.memory_budget", running.memory_budget != loaded.memory_budget},
      {"daemon.max_queue", running.max_queue != loaded.max_queue},
  };
  boost::json::array changed;
  for (const auto& [key, differs] : keys) {
    if (differs) {
      changed.emplace_back(key);
    }
  }
  return changed;
}

// Adds the default socket to `daemon.listen` when neither the config, the
// command line nor systemd socket activation names a listener.
void apply_default_listen(DaemonSettings& daemon, bool activated) {
  if (daemon.listen.empty() && !activated) {
    daemon.listen.push_back(std::string(k_default_socket));
  }
}

// Reloads the config on SIGHUP; an invalid config keeps the running one.
void reload(const Options& options, Service& service, RequestLog& log) {
  auto settings = load(options);
  if (!settings) {
    log.event("warn", "reload_rejected", {{"error", settings.error()}});
    return;
  }
  // A running daemon without listeners of its own was socket-activated.
  apply_default_listen(settings->daemon, service.state()->settings.daemon.listen.empty());
  auto state = make_service_state(std::move(*settings));
  if (!state) {
    log.event("warn", "reload_rejected", {{"error", state.error().message}});
    return;
  }
  boost::json::array pending =
      restart_only_changes(service.state()->settings.daemon, (*state)->settings.daemon);
  log.set_level(log_level_name((*state)->settings.logging.level));
  service.reload(std::move(*state));
  if (pending.empty()) {
    log.event("info", "reloaded");
    return;
  }
  // NOTE: a TLS certificate or key file replaced under the same path is not
  // seen here, and it too needs a restart.
  log.event("warn", "reloaded",
            {{"restart_needed", std::move(pending)},
             {"note", "these settings changed but apply only after a restart"}});
}

void watch_signals(boost::asio::signal_set& signals, const Options& options, Service& service,
                   Server& server, RequestLog& log) {
  signals.async_wait([&signals, &options, &service, &server, &log](
                         const boost::system::error_code& error, int number) {
    if (error) {
      return;
    }
    if (number == SIGHUP) {
      reload(options, service, log);
      watch_signals(signals, options, service, server, log);
      return;
    }
    log.event("info", "draining", {{"signal", number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    ::sd_notify(0, "STOPPING=1");
    service.set_draining();
    server.stop(std::chrono::milliseconds(service.state()->settings.daemon.drain_timeout_ms));
  });
}

// Raises the soft limit on open files to the hard limit, since each connection
// uses a descriptor, and warns when daemon.max_connections still may not fit.
void raise_descriptor_limit(const DaemonSettings& daemon, RequestLog& log) {
  // Descriptors besides connections: listeners, logs, files, libraries.
  constexpr rlim_t k_reserved_descriptors = 64;

  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }

  const rlim_t needed = rlim_t{daemon.max_connections} + k_reserved_descriptors;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    log.event("warn", "descriptor_limit_low",
              {{"open_files_limit", static_cast<std::uint64_t>(limit.rlim_cur)},
               {"max_connections", daemon.max_connections},
               {"note", "lower daemon.max_connections or raise LimitNOFILE"}});
  }
}

std::vector<int> systemd_sockets() {
  std::vector<int> descriptors;
  const int count = ::sd_listen_fds(1);
  for (int i = 0; i < count; ++i) {
    descriptors.push_back(SD_LISTEN_FDS_START + i);
  }
  return descriptors;
}

int serve(const Options& options) {
  auto settings = load(options);
  if (!settings) {
    std::cerr << "pwsvcd: error: " << settings.error() << "\n";
    return 2;
  }
  const std::vector<int> activated = systemd_sockets();
  apply_default_listen(settings->daemon, !activated.empty());
  if (auto checked = check_listeners(*settings, !activated.empty()); !checked) {
    std::cerr << "pwsvcd: error: " << checked.error() << "\n";
    return 2;
  }
  auto tls = make_tls_context(settings->daemon);
  if (!tls) {
    std::cerr << "pwsvcd: error: " << tls.error().message << "\n";
    return 2;
  }

  RequestLog log(log_level_name(settings->logging.level));
  raise_descriptor_limit(settings->daemon, log);
  const std::size_t workers = settings->daemon.workers != 0
                                  ? settings->daemon.workers
                                  : std::max(1u, std::thread::hardware_concurrency());
  const boost::json::object start_fields = banner(*settings, workers);
  auto state = make_service_state(std::move(*settings));
  if (!state) {
    std::cerr << "pwsvcd: error: " << state.error().message << "\n";
    return 2;
  }

  const DaemonSettings& daemon = (*state)->settings.daemon;
  WorkerPool pool(workers, daemon.memory_budget, daemon.max_queue,
                  argon2_memory_cache(daemon, workers));
  Metrics metrics;
  Service service(*state, pool, metrics);
  ServerContext context{service, metrics, log};
  Server server(context, std::move(*tls));

  auto bound = activated.empty() ? server.listen(daemon.listen, daemon.unix_socket_mode)
                                 : server.adopt(activated);
  if (!bound) {
    log.event("critical", "start_failed", {{"error", bound.error().message}});
    std::cerr << "pwsvcd: error: " << bound.error().message << "\n";
    return 1;
  }

  boost::asio::signal_set signals(server.io(), SIGTERM, SIGINT, SIGHUP);
  watch_signals(signals, options, service, server, log);
  log.event("info", "started", start_fields);
  ::sd_notify(0, "READY=1");

  server.run(daemon.io_threads);
  // Past the drain timeout the server is gone, so waiting jobs would only
  // delay the exit. Running jobs finish, because they cannot be stopped.
  pool.reject_queued();
  pool.drain();
  log.event("info", "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "pwsvcd: error: libsodium failed to initialise\n";
    return 1;
  }

  Options options;
  CLI::App app("pwsvcd: serve pwsvc hash, verify and identify over HTTP on Unix sockets and TCP",
               "pwsvcd");
  app.set_version_flag("--version", std::string("pwsvcd ") + PWSVC_VERSION);
  app.add_option("--config", options.config_path,
                 "Config file (default: $PWSVC_CONFIG, else /etc/pwsvc/pwsvc.toml when present)");
  app.add_option("--listen", options.listen,
                 "Listen on unix:PATH or HOST:PORT, repeatable; replaces daemon.listen "
                 "(default: unix:/run/pwsvc/pwsvcd.sock); port 0 picks a free port");
  app.add_option("--memory-budget", options.memory_budget,
                 "Memory that running and queued work may reserve, e.g. 512MiB or 2GiB "
                 "(default: daemon.memory_budget, 1GiB)");
  app.add_option("--workers", options.workers,
                 "Key-derivation worker threads (default: one per core)");
  app.add_option("--log-level", options.log_level,
                 "trace, debug, info, warn, error, critical or off (default: logging.level)");
  app.footer("Signals: SIGTERM and SIGINT drain in-flight requests and exit 0; SIGHUP reloads "
             "the config.\nSee pwsvcd(8).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  return serve(options);
}
