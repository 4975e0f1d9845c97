// SPDX-License-Identifier: Apache-2.0
// Every key of hydra.toml, once: how it is read, how it is printed, its type,
// what SIGHUP does with it and what it means. The parser (config.cpp),
// --check-config and the man page hydra.toml(5) (config_manual.cpp) all walk
// this one table, so none of them can know a key the others do not.
//
// THREADS: the main thread (start, --check-config) and the guard's thread
// (SIGHUP); the table is constant. LOCKS: none.
#pragma once

#include <span>
#include <string>
#include <string_view>

// toml++ without exceptions: a parse returns a result to check, like every
// other decoder in hydrad. (Every file that includes toml++ does so here.)
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "base/result.hpp"
#include "daemon/config.hpp"

namespace hydra::daemon {

// What a SIGHUP does with a changed value.
enum class OnReload {
  kRestart,  // kept: the value read at start stays until hydrad restarts
  kApplied,  // applied at once
};
std::string_view on_reload_text(OnReload r);

// A value where it stands: the node, the key's full name ("sessions.dockerd")
// and the file, for errors that name the file and line.
struct KeyInput {
  const toml::node& node;
  const std::string& key;
  const std::string& origin;
};

struct ConfigKey {
  std::string_view section;  // "" at the top level, else the [table]
  std::string_view name;
  std::string_view type;     // as the manual shows it
  OnReload reload;
  std::string_view doc;      // what it does; the manual's paragraph
  Status (*read)(const KeyInput& in, DaemonConfig& config);
  std::string (*show)(const DaemonConfig& config);  // the value as TOML
};

std::span<const ConfigKey> config_keys();
// nullptr when there is no such key.
const ConfigKey* find_config_key(std::string_view section, std::string_view name);
// True when `name` is one of the tables ("guard", "sessions", ...).
bool is_config_section(std::string_view name);

// "FILE:LINE" of a node, for errors.
std::string config_where(const std::string& origin, const toml::source_region& src);

}  // namespace hydra::daemon
