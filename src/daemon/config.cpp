// SPDX-License-Identifier: Apache-2.0
#include "daemon/config.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <functional>
#include <sstream>
// toml++ without exceptions: a parse returns a result to check, like
// every other decoder in hydrad.
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "base/whole_file.hpp"
#include "netlink/ifname.hpp"
#include "session/storage/golden_store.hpp"
#include "session/storage/storage_policy.hpp"
#include "session/network/uplink_firewall.hpp"

namespace hydra::daemon {

namespace {

std::string where(const std::string& origin, const toml::source_region& src) {
  return origin + ":" + std::to_string(src.begin.line);
}

Status string_value(const toml::node& node, const std::string& key, const std::string& origin, std::string& out) {
  auto v = node.value<std::string>();
  if (!node.is_string() || !v) return make_error(where(origin, node.source()) + ": " + key + " must be a string", EINVAL);
  out = *v;
  return {};
}

Status bool_value(const toml::node& node, const std::string& key, const std::string& origin, bool& out) {
  auto v = node.value<bool>();
  if (!node.is_boolean() || !v) return make_error(where(origin, node.source()) + ": " + key + " must be true or false", EINVAL);
  out = *v;
  return {};
}

Status count_value(const toml::node& node, const std::string& key, const std::string& origin, unsigned min,
                   unsigned& out) {
  auto v = node.value<int64_t>();
  if (!node.is_integer() || !v || *v < min || *v > 65536)
    return make_error(where(origin, node.source()) + ": " + key + " must be a whole number, " + std::to_string(min) +
                          " to 65536",
                      EINVAL);
  out = static_cast<unsigned>(*v);
  return {};
}

Status seconds_value(const toml::node& node, const std::string& key, const std::string& origin, int& out_ms) {
  auto v = node.value<int64_t>();
  if (!node.is_integer() || !v || *v < 1 || *v > 3600)
    return make_error(where(origin, node.source()) + ": " + key + " must be a whole number of seconds, 1 to 3600", EINVAL);
  out_ms = static_cast<int>(*v * 1000);
  return {};
}

Status network_value(const toml::node& node, const std::string& key, const std::string& origin,
                     session::Ipv4Net& out) {
  std::string text;
  if (auto st = string_value(node, key, origin, text); !st) return st;
  auto net = session::Ipv4Net::parse(text);
  if (!net) return make_error(where(origin, node.source()) + ": " + key + ": " + net.error().message, EINVAL);
  out = *net;
  return {};
}

Status mode_value(const toml::node& node, const std::string& key, const std::string& origin,
                  session::NetworkMode& out) {
  std::string text;
  if (auto st = string_value(node, key, origin, text); !st) return st;
  auto mode = session::network_mode_from(text);
  if (!mode)
    return make_error(where(origin, node.source()) + ": " + key + " must be \"isolated\" or \"shared\", not \"" +
                          text + "\"",
                      EINVAL);
  out = *mode;
  return {};
}

// An array of strings, each checked by `check` (its error names the entry).
Status strings_value(const toml::node& node, const std::string& key, const std::string& origin,
                     std::vector<std::string>& out, const std::function<Status(const std::string&)>& check) {
  const toml::array* arr = node.as_array();
  if (!arr) return make_error(where(origin, node.source()) + ": " + key + " must be an array of strings", EINVAL);
  std::vector<std::string> items;
  for (const auto& item : *arr) {
    auto v = item.value<std::string>();
    if (!item.is_string() || !v) return make_error(where(origin, item.source()) + ": " + key + " must hold strings", EINVAL);
    if (auto st = check(*v); !st) return make_error(where(origin, item.source()) + ": " + st.error().message, EINVAL);
    items.push_back(*v);
  }
  out = std::move(items);
  return {};
}

Status egress_entry(const std::string& key, const std::string& entry, bool sandbox_word) {
  if (sandbox_word && entry == "sandbox") return {};
  auto p = key == "sessions.egress_deny" ? session::parse_egress({entry}, {}) : session::parse_egress({}, {entry});
  if (!p) return make_error("sessions." + p.error().message + (sandbox_word ? " (or \"sandbox\")" : ""), EINVAL);
  return {};
}

Status threshold_value(const toml::node& node, const std::string& key, const std::string& origin, std::string& out) {
  std::string text;
  if (node.is_integer()) text = std::to_string(*node.value<int64_t>());
  else if (auto st = string_value(node, key, origin, text); !st) return st;
  if (auto t = session::FreeThreshold::parse(text); !t)
    return make_error(where(origin, node.source()) + ": " + key + ": " + t.error().message, EINVAL);
  out = text;
  return {};
}

// A duration: whole seconds, or a string with s, m, h or d ("72h", "7d"); 0 is off.
Status duration_value(const toml::node& node, const std::string& key, const std::string& origin, int64_t& out_s) {
  std::string text;
  if (node.is_integer()) text = std::to_string(*node.value<int64_t>());
  else if (auto st = string_value(node, key, origin, text); !st) return st;
  int64_t unit = 1;
  if (!text.empty() && std::string("smhd").find(text.back()) != std::string::npos) {
    unit = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : text.back() == 'h' ? 3600 : 86400;
    text.pop_back();
  }
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return make_error(where(origin, node.source()) + ": " + key + " must be seconds or a number with s, m, h or d (7d)",
                      EINVAL);
  out_s = std::stoll(text) * unit;
  return {};
}

// [sessions] and [docker]: key → how to read it.
Status apply_table(const toml::table& table, const std::string& section, const std::string& origin,
                   DaemonConfig& next) {
  for (auto&& [key, node] : table) {
    std::string k(key.str());
    std::string full = section;
    full.append(".").append(k);
    Status st;
    auto& s = next.sessions;
    if (section == "docker" && k == "main_socket") st = string_value(node, full, origin, next.main_docker_socket);
    else if (section == "metrics" && k == "address") st = string_value(node, full, origin, next.metrics_address);
    else if (section == "api" && k == "request_timeout") st = seconds_value(node, full, origin, next.api_request_timeout_ms);
    else if (section == "api" && k == "max_connections") st = count_value(node, full, origin, 1, next.api_max_connections);
    else if (section == "api" && k == "connections_per_peer") st = count_value(node, full, origin, 0, next.api_per_peer);
    else if (section == "sessions" && k == "dockerd") st = string_value(node, full, origin, s.dockerd);
    else if (section == "sessions" && k == "data_dir") st = string_value(node, full, origin, s.data_dir);
    else if (section == "sessions" && k == "run_dir") st = string_value(node, full, origin, s.run_dir);
    else if (section == "sessions" && k == "storage_driver") st = string_value(node, full, origin, s.storage_driver);
    else if (section == "sessions" && k == "live_restore") st = bool_value(node, full, origin, s.live_restore);
    else if (section == "sessions" && k == "stop_on_exit") st = bool_value(node, full, origin, s.stop_on_exit);
    else if (section == "sessions" && k == "start_timeout") st = seconds_value(node, full, origin, s.start_timeout_ms);
    else if (section == "sessions" && k == "stop_timeout") st = seconds_value(node, full, origin, s.stop_timeout_ms);
    else if (section == "sessions" && k == "api_timeout") st = seconds_value(node, full, origin, s.api_timeout_ms);
    else if (section == "sessions" && k == "probe_interval") st = seconds_value(node, full, origin, s.probe_interval_ms);
    else if (section == "sessions" && k == "recovery_wait") st = seconds_value(node, full, origin, s.recovery_wait_ms);
    else if (section == "sessions" && k == "size_interval") st = seconds_value(node, full, origin, s.size_interval_ms);
    else if (section == "sessions" && k == "privileged_mode") st = bool_value(node, full, origin, s.privileged_mode);
    else if (section == "sessions" && k == "authz_plugin") st = string_value(node, full, origin, s.authz_plugin);
    else if (section == "sessions" && k == "network") st = mode_value(node, full, origin, s.network);
    else if (section == "storage" && k == "min_free") st = threshold_value(node, full, origin, s.min_free);
    else if (section == "storage" && k == "critical_free") st = threshold_value(node, full, origin, s.critical_free);
    else if (section == "storage" && k == "check_interval")
      st = seconds_value(node, full, origin, s.storage_check_interval_ms);
    else if (section == "gc" && k == "stale_after") st = duration_value(node, full, origin, s.stale_after_s);
    else if (section == "gc" && k == "golden_unused_days") {
      unsigned days = 0;
      st = count_value(node, full, origin, 0, days);
      s.golden_unused_s = int64_t{days} * 86400;
    } else if (section == "sessions" && k == "default_golden") {
      st = string_value(node, full, origin, s.default_golden);
      if (st && !s.default_golden.empty())
        if (auto v = session::validate_golden_name(s.default_golden); !v)
          st = make_error(where(origin, node.source()) + ": " + full + ": " + v.error().text(), EINVAL);
    } else if (section == "sessions" && k == "cp") st = string_value(node, full, origin, s.cp);
    else if (section == "sessions" && k == "dnsmasq") st = string_value(node, full, origin, s.dnsmasq);
    else if (section == "sessions" && k == "resolv_conf") st = string_value(node, full, origin, s.resolv_conf);
    else if (section == "sessions" && k == "bridge_subnets") st = network_value(node, full, origin, s.plan.bridges);
    else if (section == "sessions" && k == "address_pools") st = network_value(node, full, origin, s.plan.pools);
    else if (section == "sessions" && k == "uplink_subnet") st = network_value(node, full, origin, s.plan.uplinks);
    else if (section == "sessions" && k == "egress_deny")
      st = strings_value(node, full, origin, s.egress_deny, [&](const std::string& e) { return egress_entry(full, e, true); });
    else if (section == "sessions" && k == "egress_allow")
      st = strings_value(node, full, origin, s.egress_allow, [&](const std::string& e) { return egress_entry(full, e, false); });
    else return make_error(where(origin, node.source()) + ": unknown key " + full, EINVAL);
    if (!st) return st;
  }
  return {};
}

// toml++ 3.3 reaches a __builtin_unreachable on some non-ASCII code points
// (U+FEFD, found by the config fuzzer) — undefined behaviour on input. Every
// value hydrad reads is ASCII, so non-ASCII is refused outside comments (with
// the line named) and blanked inside them before toml++ sees the text.
Result<std::string> ascii_outside_comments(const std::string& text, const std::string& origin) {
  std::string out = text;
  size_t line = 1;
  bool in_comment = false;
  char quote = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '\n') {
      ++line;
      in_comment = false;
      quote = 0;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (!in_comment)
        return make_error(origin + ":" + std::to_string(line) + ": only ASCII is accepted outside comments", EINVAL);
      out[i] = ' ';
      continue;
    }
    if (in_comment) continue;
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < out.size()) ++i;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      in_comment = true;
    }
  }
  return out;
}

}  // namespace

std::string describe_config(const DaemonConfig& c) {
  auto q = [](const std::string& v) { return "\"" + v + "\""; };
  std::string bridges;
  for (const auto& b : c.guard_bridges) bridges += (bridges.empty() ? "" : ", ") + q(b);
  std::string out;
  out += "# hydrad: configuration in effect (defaults, then the file, then flags)\n";
  out += "state_dir = " + q(c.state_dir) + "\nsocket = " + q(c.socket) + "\nsocket_group = " + q(c.socket_group) +
         "\nlog_format = " + q(c.log_format) + "\n";
  out += "\n[guard]\nbridges = [" + bridges + "]\nrealtime_priority = " + std::to_string(c.guard_realtime_priority) + "\n";
  out += "\n[docker]\nmain_socket = " + q(c.main_docker_socket) + "\n";
  out += "\n[metrics]\naddress = " + q(c.metrics_address) + "\n";
  out += "\n[api]\nrequest_timeout = " + std::to_string(c.api_request_timeout_ms / 1000) +
         "\nmax_connections = " + std::to_string(c.api_max_connections) +
         "\nconnections_per_peer = " + std::to_string(c.api_per_peer) + "\n";
  const auto& s = c.sessions;
  out += "\n[sessions]\ndockerd = " + q(s.dockerd) + "\ndata_dir = " + q(s.data_dir) + "\nrun_dir = " + q(s.run_dir) +
         "\nstorage_driver = " + q(s.storage_driver) + "\nlive_restore = " + (s.live_restore ? "true" : "false") +
         "\nstop_on_exit = " + (s.stop_on_exit ? "true" : "false") +
         "\nstart_timeout = " + std::to_string(s.start_timeout_ms / 1000) +
         "\nstop_timeout = " + std::to_string(s.stop_timeout_ms / 1000) +
         "\napi_timeout = " + std::to_string(s.api_timeout_ms / 1000) +
         "\nprobe_interval = " + std::to_string(s.probe_interval_ms / 1000) +
         "\nrecovery_wait = " + std::to_string(s.recovery_wait_ms / 1000) +
         "\nsize_interval = " + std::to_string(s.size_interval_ms / 1000) +
         "\nprivileged_mode = " + (s.privileged_mode ? "true" : "false") + "\nauthz_plugin = " + q(s.authz_plugin) +
         "\ndnsmasq = " + q(s.dnsmasq) + "\ncp = " + q(s.cp) + "\ndefault_golden = " + q(s.default_golden) + "\nresolv_conf = " + q(s.resolv_conf) +
         "\nnetwork = " + q(session::network_mode_name(s.network)) + "\nbridge_subnets = " + q(s.plan.bridges.text()) +
         "\naddress_pools = " + q(s.plan.pools.text()) + "\nuplink_subnet = " + q(s.plan.uplinks.text());
  auto list = [&](const std::vector<std::string>& v) {
    std::string l;
    for (const auto& e : v) l += (l.empty() ? "" : ", ") + q(e);
    return "[" + l + "]";
  };
  out += "\negress_deny = " + list(s.egress_deny) + "\negress_allow = " + list(s.egress_allow) + "\n";
  out += "\n[storage]\nmin_free = " + q(s.min_free) + "\ncritical_free = " + q(s.critical_free) +
         "\ncheck_interval = " + std::to_string(s.storage_check_interval_ms / 1000) + "\n";
  out += "\n[gc]\nstale_after = " + std::to_string(s.stale_after_s) +
         "\ngolden_unused_days = " + std::to_string(s.golden_unused_s / 86400) + "\n";
  return out;
}

Status validate_config(const DaemonConfig& c) {
  if (c.guard_bridges.empty()) return make_error("no bridge to guard", EINVAL);
  if (c.guard_realtime_priority < 0 || c.guard_realtime_priority > 99)
    return make_error("guard realtime priority must be 0 (off) to 99", EINVAL);
  for (const auto& b : c.guard_bridges)
    if (auto st = netlink::validate_ifname(b); !st) return st;
  if (c.log_format != "text" && c.log_format != "json")
    return make_error("log format must be text or json, not \"" + c.log_format + "\"", EINVAL);
  if (c.state_dir.empty()) return make_error("state directory is empty", EINVAL);
  if (c.socket.empty()) return make_error("socket path is empty", EINVAL);
  for (const auto* p : {&c.sessions.dockerd, &c.sessions.data_dir, &c.sessions.run_dir, &c.main_docker_socket,
                        &c.sessions.dnsmasq, &c.sessions.resolv_conf})
    if (p->empty() || (*p)[0] != '/') return make_error("paths must be absolute, not \"" + *p + "\"", EINVAL);
  if (!c.metrics_address.empty()) {
    auto colon = c.metrics_address.rfind(':');
    std::string host = colon == std::string::npos ? "" : c.metrics_address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string port = colon == std::string::npos ? "" : c.metrics_address.substr(colon + 1);
    unsigned char buf[16];
    bool ip = inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
    bool num = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
               std::stoi(port) > 0 && std::stoi(port) < 65536;
    if (!ip || !num)
      return make_error("metrics address must be IP:PORT (e.g. 127.0.0.1:9464), not \"" + c.metrics_address + "\"",
                        EINVAL);
  }
  const std::string& plugin = c.sessions.authz_plugin;
  if (plugin.empty() || plugin.size() > 40 || plugin.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos ||
      plugin[0] == '.')
    return make_error("sessions.authz_plugin must be 1 to 40 of a-z, 0-9, '_', '.', '-', not \"" + plugin + "\"", EINVAL);
  if (auto st = c.sessions.plan.validate(); !st) return make_error("sessions." + st.error().message, EINVAL);
  if (c.sessions.run_dir.size() > 60)
    return make_error("sessions.run_dir is too long for the unix sockets under it (60 bytes at most)", EINVAL);
  return {};
}

Status apply_config_text(const std::string& text, const std::string& origin, DaemonConfig& config) {
  auto ascii = ascii_outside_comments(text, origin);
  if (!ascii) return ascii.error();
  toml::parse_result parsed = toml::parse(*ascii, origin);
  if (!parsed) return make_error(where(origin, parsed.error().source()) + ": " + std::string(parsed.error().description()), EINVAL);
  toml::table root = std::move(parsed).table();
  DaemonConfig next = config;
  for (auto&& [key, node] : root) {
    std::string k(key.str());
    Status st;
    if (k == "state_dir") {
      st = string_value(node, k, origin, next.state_dir);
    } else if (k == "socket") {
      st = string_value(node, k, origin, next.socket);
    } else if (k == "socket_group") {
      st = string_value(node, k, origin, next.socket_group);
    } else if (k == "log_format") {
      st = string_value(node, k, origin, next.log_format);
    } else if (k == "guard") {
      const toml::table* guard = node.as_table();
      if (!guard) return make_error(where(origin, node.source()) + ": guard must be a table", EINVAL);
      for (auto&& [gkey, gnode] : *guard) {
        std::string gk(gkey.str());
        if (gk == "realtime_priority") {
          auto v = gnode.value<int64_t>();
          if (!gnode.is_integer() || !v || *v < 0 || *v > 99)
            return make_error(where(origin, gnode.source()) + ": guard.realtime_priority must be 0 (off) to 99", EINVAL);
          next.guard_realtime_priority = static_cast<int>(*v);
          continue;
        }
        if (gk != "bridges") return make_error(where(origin, gnode.source()) + ": unknown key guard." + gk, EINVAL);
        const toml::array* arr = gnode.as_array();
        if (!arr) return make_error(where(origin, gnode.source()) + ": guard.bridges must be an array of names", EINVAL);
        next.guard_bridges.clear();
        for (const auto& item : *arr) {
          auto name = item.value<std::string>();
          if (!item.is_string() || !name)
            return make_error(where(origin, item.source()) + ": guard.bridges must hold strings", EINVAL);
          if (auto valid = netlink::validate_ifname(*name); !valid)
            return make_error(where(origin, item.source()) + ": " + valid.error().message, EINVAL);
          next.guard_bridges.push_back(*name);
        }
      }
    } else if (k == "sessions" || k == "docker" || k == "metrics" || k == "api" || k == "storage" || k == "gc") {
      const toml::table* table = node.as_table();
      if (!table) return make_error(where(origin, node.source()) + ": " + k + " must be a table", EINVAL);
      st = apply_table(*table, k, origin, next);
    } else {
      return make_error(where(origin, node.source()) + ": unknown key " + k, EINVAL);
    }
    if (!st) return st;
  }
  if (auto st = validate_config(next); !st) return make_error(origin + ": " + st.error().message, EINVAL);
  config = std::move(next);
  return {};
}

Status apply_config_file(const std::string& path, DaemonConfig& config) {
  auto text = read_whole_file(path);
  if (!text) return Error{text.error().code, "read config " + path};
  return apply_config_text(*text, path, config);
}

}  // namespace hydra::daemon
