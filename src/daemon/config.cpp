// SPDX-License-Identifier: Apache-2.0
#include "daemon/config.hpp"

#include <arpa/inet.h>

#include "base/whole_file.hpp"
#include "daemon/config_keys.hpp"
#include "netlink/ifname.hpp"

namespace hydra::daemon {

namespace {

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
  std::string out = "# hydrad: configuration in effect (defaults, then the file, then flags)\n";
  std::string_view section;
  for (const ConfigKey& k : config_keys()) {
    if (k.section != section) {
      section = k.section;
      out += "\n";  // a blank line before each table
      out += "[" + std::string(section) + "]\n";
    }
    out.append(k.name).append(" = ").append(k.show(c)).append("\n");
  }
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
  if (auto st = session::check_limits(c.sessions.limits, session::read_machine_size(), session::kConfigLimitNames); !st)
    return st;
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
  if (c.sessions.nat == session::SessionNat::kNftables && c.sessions.network != session::NetworkMode::kIsolated)
    return make_error("sessions.nat = \"nftables\" needs sessions.network = \"isolated\" (a session's rules live in "
                      "its own namespace)",
                      EINVAL);
  if (c.sessions.run_dir.size() > 60)
    return make_error("sessions.run_dir is too long for the unix sockets under it (60 bytes at most)", EINVAL);
  return {};
}

Status apply_config_text(const std::string& text, const std::string& origin, DaemonConfig& config) {
  auto ascii = ascii_outside_comments(text, origin);
  if (!ascii) return ascii.error();
  toml::parse_result parsed = toml::parse(*ascii, origin);
  if (!parsed) return make_error(config_where(origin, parsed.error().source()) + ": " + std::string(parsed.error().description()), EINVAL);
  toml::table root = std::move(parsed).table();
  DaemonConfig next = config;
  auto apply = [&](std::string_view section, std::string_view name, const toml::node& node) -> Status {
    std::string full = section.empty() ? std::string(name) : std::string(section) + "." + std::string(name);
    const ConfigKey* key = find_config_key(section, name);
    if (!key) return make_error(config_where(origin, node.source()) + ": unknown key " + full, EINVAL);
    return key->read(KeyInput{node, full, origin}, next);
  };
  for (auto&& [key, node] : root) {
    std::string_view k = key.str();
    if (!is_config_section(k)) {
      if (auto st = apply("", k, node); !st) return st;
      continue;
    }
    const toml::table* table = node.as_table();
    if (!table) return make_error(config_where(origin, node.source()) + ": " + std::string(k) + " must be a table", EINVAL);
    for (auto&& [sub, value] : *table) {
      // [sessions.limits]: a table inside a table, its own section.
      const std::string inner = std::string(k) + "." + std::string(sub.str());
      if (const toml::table* nested = value.as_table(); nested && is_config_section(inner)) {
        for (auto&& [name, leaf] : *nested)
          if (auto st = apply(inner, name.str(), leaf); !st) return st;
        continue;
      }
      if (auto st = apply(k, sub.str(), value); !st) return st;
    }
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
