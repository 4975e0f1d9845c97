#include "daemon/config.hpp"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "netlink/ifname.hpp"

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

}  // namespace

Status validate_config(const DaemonConfig& c) {
  if (c.guard_bridges.empty()) return make_error("no bridge to guard", EINVAL);
  for (const auto& b : c.guard_bridges)
    if (auto st = netlink::validate_ifname(b); !st) return st;
  if (c.log_format != "text" && c.log_format != "json")
    return make_error("log format must be text or json, not \"" + c.log_format + "\"", EINVAL);
  if (c.state_dir.empty()) return make_error("state directory is empty", EINVAL);
  if (c.socket.empty()) return make_error("socket path is empty", EINVAL);
  return {};
}

Status apply_config_text(const std::string& text, const std::string& origin, DaemonConfig& config) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return make_error(where(origin, e.source()) + ": " + std::string(e.description()), EINVAL);
  }
  DaemonConfig next = config;
  for (auto&& [key, node] : root) {
    std::string k(key.str());
    Status st;
    if (k == "state_dir") {
      st = string_value(node, k, origin, next.state_dir);
    } else if (k == "socket") {
      st = string_value(node, k, origin, next.socket);
    } else if (k == "log_format") {
      st = string_value(node, k, origin, next.log_format);
    } else if (k == "guard") {
      const toml::table* guard = node.as_table();
      if (!guard) return make_error(where(origin, node.source()) + ": guard must be a table", EINVAL);
      for (auto&& [gkey, gnode] : *guard) {
        std::string gk(gkey.str());
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
  std::ifstream in(path);
  if (!in) return errno_error("read config " + path);
  std::stringstream text;
  text << in.rdbuf();
  return apply_config_text(text.str(), path, config);
}

}  // namespace hydra::daemon
