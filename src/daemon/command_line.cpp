// SPDX-License-Identifier: Apache-2.0
#include "daemon/command_line.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/config_manual.hpp"
#include "netlink/monitor.hpp"
#include "session/core/helper_programs.hpp"
#include "session/network/plan_check.hpp"
#include "session/storage/storage_watch.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::daemon {

namespace {

int print_error(const std::string& what) {
  std::cerr << "hydrad: " << what << "\n";
  return 1;
}

}  // namespace

std::string config_text(const Error& e) { return e.code == EINVAL ? e.message : e.text(); }

std::optional<int> parse_command_line(int argc, char** argv, const char* hydra_version, CommandLine& out) {
  CLI::App app{std::string("hydrad ") + hydra_version + " — keeps docker0 and every container on it on the network.\n"
               "Guards the named bridges in this network namespace: when one is deleted it is put back\n"
               "within about a millisecond with the same name, MAC, MTU, addresses, options and ports."};
  DaemonConfig& config = out.config;
  std::string& config_file = out.config_file;
  std::vector<std::string>& guard_cli = out.guard_cli;
  std::string state_dir, socket_path, log_format, metrics_address;
  std::string check_file;
  bool version = false;
  int& monitor_buffer = out.monitor_buffer;
  int& event_queue = out.event_queue;
  monitor_buffer = netlink::Monitor::kDefaultRecvBuf;
  event_queue = static_cast<int>(telemetry::EventLog::kQueueCapacity);
  app.add_option("--config", config_file, "TOML config file; every key is in hydra.toml(5) (--config-manual)");
  app.add_option("--guard", guard_cli, "Bridge to guard; repeatable (default: docker0)");
  app.add_option("--state-dir", state_dir, "Where snapshots are kept (default: /var/lib/hydra)");
  app.add_option("--socket", socket_path, "Control socket, mode 0660 (default: /run/hydra/hydra.sock)");
  app.add_option("--log-format", log_format, "Event lines on stderr: text or json (default: text)");
  app.add_option("--metrics-address", metrics_address,
                 "Also serve GET /metrics over TCP at HOST:PORT (e.g. 127.0.0.1:9464); default: unix socket only");
  app.add_option("--check-config", check_file,
                 "Check a config file (with any flags given), print the configuration in effect, and exit");
  app.add_flag("--version", version, "Print the version and exit");
  bool manual = false;
  app.add_flag("--config-manual", manual, "Print hydra.toml(5), the manual of every config key, as roff, and exit");
  app.add_option("--monitor-buffer", monitor_buffer,
                 "Netlink monitor receive buffer in bytes (default 32 MiB; small values force overruns in tests)")
      ->check(CLI::Range(1024, 1 << 30));
  app.add_option("--event-queue", event_queue,
                 "Events held for a slow log reader before they are dropped and counted (default 4096)")
      ->check(CLI::Range(2, 1 << 20));
  app.add_option("--settle-ms", out.settle_ms,
                 "Quiet time before the guard acts on a released port, a removed address or the bridge set down\n"
                 "(default 100 ms; 0 in tests makes every deletion race it)")
      ->check(CLI::Range(0, 10000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version) {
    std::cout << "hydrad " << hydra_version << "\n";
    return 0;
  }
  if (manual) {
    std::cout << config_manual(hydra_version);
    return 0;
  }

  if (!check_file.empty()) config_file = check_file;
  if (!config_file.empty())
    if (auto st = apply_config_file(config_file, config); !st) return print_error(config_text(st.error()));
  if (!guard_cli.empty()) config.guard_bridges = guard_cli;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!socket_path.empty()) config.socket = socket_path;
  if (!log_format.empty()) config.log_format = log_format;
  if (!metrics_address.empty()) config.metrics_address = metrics_address;
  if (auto st = validate_config(config); !st) return print_error(config_text(st.error()));
  // The plan against this sandbox's routes: here, not in validate_config,
  // since it reads the kernel (and --check-config should say it too).
  if (auto st = session::check_plan_against_sandbox(config.sessions.plan); !st) return print_error(config_text(st.error()));
  if (!check_file.empty()) {
    std::cout << describe_config(config);
    if (config.sessions.storage_driver.empty() && session::read_fs(config.sessions.data_dir).btrfs)
      std::cout << "# sessions.data_dir is on btrfs: new sessions get storage_driver \"overlay2\" (goldens are\n"
                   "# snapshots); a data root made with another driver keeps it. Set it to choose.\n";
    for (const auto& h : session::helper_programs(config.sessions))
      if (auto st = session::require_helper(h); !st) std::cout << "# missing: " << st.error().message << "\n";
    return 0;
  }

  return std::nullopt;
}

}  // namespace hydra::daemon
