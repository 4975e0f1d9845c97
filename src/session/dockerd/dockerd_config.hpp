// SPDX-License-Identifier: Apache-2.0
// What a session dockerd is started with: its daemon.json and its argument
// vector, from the session's network, paths and the settings. Pure: no I/O.
//
// THREADS: called from whichever thread starts a session (an API connection
// thread, or the bench); nothing here keeps state. LOCKS: none.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "session/core/session_spec.hpp"

namespace hydra::session {

// `storage_driver`: choose_storage_driver's choice ("" leaves it to dockerd).
// `cgroup_parent`: the session's containers' cgroup ("": dockerd's own
// default); cgroupfs then, so the path means the same on every machine.
nlohmann::json daemon_json(const SessionNet& net, const SessionSettings& s, const std::string& storage_driver,
                           const std::string& cgroup_parent = "");
// `limited`: the session has a max_containers limit, so its dockerd asks
// hydrad's authorization plugin before it creates a container.
// `containerd_socket`: the shared containerd's ("": dockerd starts its own).
std::vector<std::string> dockerd_argv(const SessionNet& net, const SessionPaths& paths, const SessionSettings& s,
                                      bool limited = false, const std::string& containerd_socket = "");
// Where the authorization plugin's socket is, for dockerd to find it by name.
std::string authz_plugin_socket(const std::string& plugin_name);

}  // namespace hydra::session
