// SPDX-License-Identifier: Apache-2.0
// hydrad's command line: the flags, the config file they name, and the
// configuration in effect (flags over the file over the defaults).
//
// THREADS: the main thread, before any other exists. LOCKS: none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace hydra::daemon {

struct CommandLine {
  DaemonConfig config;
  std::string config_file;              // "" when none: SIGHUP then reloads nothing
  std::vector<std::string> guard_cli;   // --guard, kept over the file on reload
  int monitor_buffer = 0;
  int event_queue = 0;
  int settle_ms = 100;  // --settle-ms: the guard's quiet time (GuardConfig::settle_us)
};

// The configuration to run with, or the exit code when hydrad should stop
// here (--help, --version, --check-config, or an error it printed).
std::optional<int> parse_command_line(int argc, char** argv, const char* version, CommandLine& out);

// A config error already says what is wrong and where; only a failure to
// read the file needs the system's reason.
std::string config_text(const Error& e);

}  // namespace hydra::daemon
