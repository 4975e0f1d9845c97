// SPDX-License-Identifier: Apache-2.0
// A desktop container of the main dockerd bridged into a session: its
// second leg (eth1) on the session's bridge.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/whole_file.hpp"
#include "docker/engine_client.hpp"
#include "session/core/helper_programs.hpp"
#include "session/manager/session_manager.hpp"

namespace hydra::session {

Status SessionManager::link_desktop(const SessionPtr& s, std::optional<std::string> resolv_original) {
  DesktopLinkSetup setup;
  {
    auto lock = table_.lock();
    setup.session = s->key.text();
    setup.net = net_of_locked(*s);
    setup.docker_socket = session_paths(settings_, s->key, s->index).socket;
    setup.desktop_pid = s->desktop_pid;
  }
  setup.dns = dns_paths(settings_.run_dir, setup.net.index);
  auto upstreams = upstream_resolvers(read_whole_file(settings_.resolv_conf).value_or(""));
  if (upstreams.empty())
    log_.emit("desktop_dns_upstream", {{"session", setup.session}, {"resolv_conf", settings_.resolv_conf},
                                       {"problem", "no nameserver a session can reach: only container names resolve"}});
  setup.dnsmasq_argv = dnsmasq_argv(settings_.dnsmasq, setup.net, setup.dns, upstreams);
  setup.resolv_original = std::move(resolv_original);
  if (auto st = require_helper(settings_, "sessions.dnsmasq"); !st) return st.error();
  auto link = std::make_unique<DesktopLink>(std::move(setup), log_);
  if (auto st = link->start(); !st) return st;
  auto lock = table_.lock();
  s->desktop_resolv = link->resolv_original();
  s->desktop_link = std::move(link);
  table_.persist_locked();
  return {};
}

void SessionManager::unlink_desktop(const SessionPtr& s) {
  std::unique_ptr<DesktopLink> link;
  {
    auto lock = table_.lock();
    link = std::move(s->desktop_link);
  }
  link.reset();  // outside mu_: restores the desktop's resolv.conf, stops dnsmasq
}

Result<SessionView> SessionManager::bridge_desktop(const SessionKey& key, const std::string& container_id) {
  if (auto st = validate_key(key); !st) return st.error();
  if (container_id.empty() || container_id.size() > 128 ||
      container_id.find_first_of("/?#% ") != std::string::npos)
    return make_error("desktop_container_id is empty or not a container id or name", EINVAL);
  auto found = adopted_session(key);
  if (!found) return found.error();
  SessionPtr s = *found;
  SessionOp op(*this, s);
  SessionNet net;
  std::string current;
  pid_t current_pid = 0;
  {
    auto lock = table_.lock();
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (!session_alive(s->state)) return make_error("session " + key.text() + " is not running", EBUSY);
    if (s->host_docker)
      return make_error("session " + key.text() + " uses the main dockerd: its containers are on the desktop's network already",
                        EBUSY);
    net = net_of_locked(*s);
    current = s->desktop_container;
    current_pid = s->desktop_pid;
  }
  auto pid = docker::EngineClient(main_socket_, api_timeout_s(settings_)).container_pid(container_id);
  if (!pid) return pid.error();
  if (current == container_id && current_pid == *pid && network_->desktop_bridged(net)) {
    bool linked = false;
    {
      auto lock = table_.lock();
      linked = s->desktop_link != nullptr;
    }
    if (!linked)
      if (auto st = link_desktop(s, std::nullopt); !st) return st.error();
    auto lock = table_.lock();
    return view_locked(*s);
  }
  unlink_desktop(s);  // the old desktop gets its resolv.conf back
  if (auto st = network_->bridge_desktop(net, *pid); !st) return st.error();
  {
    auto lock = table_.lock();
    s->desktop_container = container_id;
    s->desktop_pid = *pid;
    s->desktop_resolv.clear();
  }
  if (auto st = link_desktop(s, std::nullopt); !st) {
    (void)network_->unbridge_desktop(net);
    auto lock = table_.lock();
    s->desktop_container.clear();
    s->desktop_pid = 0;
    table_.persist_locked();
    return make_error("bridge the desktop of " + key.text() + ": " + st.error().message, st.error().code);
  }
  auto lock = table_.lock();
  table_.persist_locked();
  log_.emit("desktop_bridged", {{"session", key.text()}, {"container", container_id}, {"pid", *pid},
                                {"veth", net.desktop_veth}, {"ip", net.desktop_ip}, {"rebridged", !current.empty()}});
  return view_locked(*s);
}

Status SessionManager::unbridge_desktop(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  auto found = adopted_session(key);
  if (!found) return found.error();
  SessionPtr s = *found;
  SessionOp op(*this, s);
  std::string container;
  bool held = false;
  SessionNet net;
  {
    auto lock = table_.lock();
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (s->desktop_container.empty()) return make_error("session " + key.text() + " has no desktop bridged", ENOENT);
    container = s->desktop_container;
    held = s->index_held;
    net = net_of_locked(*s);
  }
  unlink_desktop(s);
  if (held)
    if (auto st = network_->unbridge_desktop(net); !st) return st;
  auto lock = table_.lock();
  log_.emit("desktop_unbridged", {{"session", key.text()}, {"container", container}});
  s->desktop_container.clear();
  s->desktop_pid = 0;
  s->desktop_resolv.clear();
  table_.persist_locked();
  return {};
}

}  // namespace hydra::session
