// SPDX-License-Identifier: Apache-2.0
#include "session/dockerd/dockerd_config.hpp"

namespace hydra::session {

nlohmann::json daemon_json(const SessionNet& net, const SessionSettings& s, const std::string& storage_driver,
                           const std::string& cgroup_parent) {
  nlohmann::json j{{"fixed-cidr", net.subnet},
                   {"default-address-pools", {{{"base", net.address_pool}, {"size", 24}}}},
                   {"live-restore", s.live_restore},
                   {"dns", {net.gateway}}};
  if (!storage_driver.empty()) j["storage-driver"] = storage_driver;
  // hydra wrote the namespace's NAT and forwarding policy when it made it.
  if (s.nat == SessionNat::kNftables) j["iptables"] = false;
  if (!cgroup_parent.empty()) {
    j["cgroup-parent"] = cgroup_parent;
    j["exec-opts"] = {"native.cgroupdriver=cgroupfs"};
  }
  return j;
}

std::vector<std::string> dockerd_argv(const SessionNet& net, const SessionPaths& p, const SessionSettings& s,
                                      bool limited, const std::string& containerd_socket) {
  std::vector<std::string> argv{s.dockerd,
          "--host=unix://" + p.socket,
          "--data-root=" + p.data_root,
          "--exec-root=" + p.exec_root,
          "--pidfile=" + p.pidfile,
          "--config-file=" + p.config_file,
          "--bridge=" + net.bridge,
          "--ip=" + net.gateway,
          "--containerd-namespace=" + net.bridge,
          "--containerd-plugins-namespace=" + net.bridge + "-plugins"};
  if (limited) argv.push_back("--authorization-plugin=" + s.authz_plugin);
  if (!containerd_socket.empty()) argv.push_back("--containerd=" + containerd_socket);
  return argv;
}

std::string authz_plugin_socket(const std::string& plugin_name) {
  // dockerd looks for NAME.sock in /run/docker/plugins and in a folder NAME
  // there; the folder keeps hydrad's socket apart from other plugins'.
  return "/run/docker/plugins/" + plugin_name + "/" + plugin_name + ".sock";
}

}  // namespace hydra::session
