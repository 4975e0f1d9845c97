// SPDX-License-Identifier: Apache-2.0
// hydrad's settings: built-in defaults, then the TOML config file, then the
// command line, each overriding the one before.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::daemon {

struct DaemonConfig {
  std::vector<std::string> guard_bridges{"docker0"};  // [guard] bridges
  // [guard] realtime_priority: SCHED_FIFO priority of the guard thread, 1-99;
  // 0 leaves it an ordinary thread. Restores must not queue behind API work.
  int guard_realtime_priority = 10;
  std::string state_dir = "/var/lib/hydra";           // state_dir
  std::string socket = "/run/hydra/hydra.sock";       // socket
  std::string socket_group;                           // socket_group: "" = root's group
  std::string log_format = "text";                    // log_format: text | json
  std::string main_docker_socket = "/var/run/docker.sock";  // [docker] main_socket
  session::SessionSettings sessions;                  // [sessions] ...
  std::string metrics_address;                        // [metrics] address: "" = unix socket only
  // [api] The control socket under slow and greedy clients:
  int api_request_timeout_ms = 5000;   // request_timeout: a whole request, or the idle time before one
  unsigned api_max_connections = 256;  // max_connections
  unsigned api_per_peer = 64;          // connections_per_peer: one uid's share; 0 = no limit
};

// Applies a TOML file to `config`. An unknown key, a wrong type or a bad
// value is an error naming the file and line; `config` is then unchanged.
Status apply_config_file(const std::string& path, DaemonConfig& config);
// The same for TOML text (tests, fuzzing); `origin` names it in errors.
Status apply_config_text(const std::string& text, const std::string& origin, DaemonConfig& config);
// The effective configuration as TOML, for --check-config.
std::string describe_config(const DaemonConfig& config);
// Checks values wherever they came from.
Status validate_config(const DaemonConfig& config);

}  // namespace hydra::daemon
