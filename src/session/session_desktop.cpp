// SPDX-License-Identifier: Apache-2.0
// A desktop container of the main dockerd bridged into a session: its
// second leg (eth1) on the session's bridge.
#include "docker/engine_client.hpp"
#include "session/session_manager.hpp"
#include "session/session_network.hpp"

namespace hydra::session {

Result<SessionView> SessionManager::bridge_desktop(const SessionKey& key, const std::string& container_id) {
  if (auto st = validate_key(key); !st) return st.error();
  if (container_id.empty() || container_id.size() > 128 ||
      container_id.find_first_of("/?#% ") != std::string::npos)
    return make_error("desktop_container_id is empty or not a container id or name", EINVAL);
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  SessionNet net;
  std::string current;
  pid_t current_pid = 0;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (!session_alive(s->state)) return make_error("session " + key.text() + " is not running", EBUSY);
    if (s->host_docker)
      return make_error("session " + key.text() + " uses the main dockerd: its containers are on the desktop's network already",
                        EBUSY);
    net = net_of(*s);
    current = s->desktop_container;
    current_pid = s->desktop_pid;
  }
  auto pid = docker::EngineClient(main_socket_, api_timeout_s(settings_)).container_pid(container_id);
  if (!pid) return pid.error();
  if (current == container_id && current_pid == *pid && desktop_bridged(net)) {
    std::lock_guard lock(mu_);
    return view(*s);
  }
  if (auto st = session::bridge_desktop(net, *pid); !st) return st.error();
  std::lock_guard lock(mu_);
  s->desktop_container = container_id;
  s->desktop_pid = *pid;
  persist();
  log_.emit("desktop_bridged", {{"session", key.text()}, {"container", container_id}, {"pid", *pid},
                                {"veth", net.desktop_veth}, {"ip", net.desktop_ip}, {"rebridged", !current.empty()}});
  return view(*s);
}

Status SessionManager::unbridge_desktop(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  std::string container;
  bool held = false;
  SessionNet net;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (s->desktop_container.empty()) return make_error("session " + key.text() + " has no desktop bridged", ENOENT);
    container = s->desktop_container;
    held = s->index_held;
    net = net_of(*s);
  }
  if (held)
    if (auto st = session::unbridge_desktop(net); !st) return st;
  std::lock_guard lock(mu_);
  log_.emit("desktop_unbridged", {{"session", key.text()}, {"container", container}});
  s->desktop_container.clear();
  s->desktop_pid = 0;
  persist();
  return {};
}

}  // namespace hydra::session
