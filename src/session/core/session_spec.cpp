// SPDX-License-Identifier: Apache-2.0
#include "session/core/session_spec.hpp"

namespace hydra::session {

Status validate_key(const SessionKey& key) {
  if (key.scope_type != "session" && key.scope_type != "spectask" && key.scope_type != "exploratory")
    return make_error("scope_type must be session, spectask or exploratory, not \"" + key.scope_type + "\"", EINVAL);
  return validate_scope_id(key.scope_id);
}

Status validate_scope_id(const std::string& scope_id) {
  if (scope_id.empty() || scope_id.size() > 64) return make_error("scope_id must be 1 to 64 characters", EINVAL);
  for (char c : scope_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-';
    if (!ok) return make_error("scope_id may hold only letters, digits, '_', '.' and '-'", EINVAL);
  }
  if (scope_id == "." || scope_id == "..") return make_error("scope_id may not be . or ..", EINVAL);
  return {};
}

SessionNet session_net(const AddressPlan& plan, int n) {
  SessionNet net;
  net.index = n;
  const auto idx = static_cast<uint64_t>(n);
  const Ipv4Net subnet = plan.bridges.subnet(kBridgePrefix, idx);
  net.bridge = "hydra" + std::to_string(n);
  net.subnet = subnet.text();
  net.gateway = ipv4_text(subnet.base + 1);
  net.desktop_ip = ipv4_text(subnet.base + 254);
  net.address_pool = plan.pools.subnet(kPoolPrefix, idx - 1).text();
  net.pools = plan.pools.text();
  net.desktop_veth = "vethb-h" + std::to_string(n);
  const Ipv4Net pair = plan.uplinks.subnet(kUplinkPrefix, idx);
  net.uplink = "hup-h" + std::to_string(n);
  net.uplink_gateway = ipv4_text(pair.base);
  net.uplink_address = ipv4_text(pair.base + 1);
  return net;
}

SessionNet session_net(const SessionSettings& s, int n, NetworkMode mode) {
  SessionNet net = session_net(s.plan, n);
  if (mode == NetworkMode::kIsolated) {
    net.isolated = true;
    net.netns = s.run_dir + "/netns/h" + std::to_string(n);
    net.hydra_nat = s.nat == SessionNat::kNftables;
  }
  return net;
}

SessionPaths session_paths(const SessionSettings& s, const SessionKey& key, int index) {
  SessionPaths p;
  // Runtime paths by index: unix socket paths must stay under 108 bytes.
  p.dir = s.run_dir + "/h" + std::to_string(index);
  p.socket = p.dir + "/docker.sock";
  p.exec_root = p.dir + "/exec";
  p.pidfile = p.dir + "/dockerd.pid";
  p.config_file = p.dir + "/daemon.json";
  p.log = p.dir + "/dockerd.log";
  p.data_root = data_root_of(s, key);
  return p;
}

const char* containerd_mode_name(ContainerdMode mode) {
  return mode == ContainerdMode::kShared ? "shared" : "per-session";
}

std::optional<ContainerdMode> containerd_mode_from(const std::string& name) {
  if (name == "shared") return ContainerdMode::kShared;
  if (name == "per-session") return ContainerdMode::kPerSession;
  return std::nullopt;
}

const char* session_nat_name(SessionNat nat) { return nat == SessionNat::kIptables ? "iptables" : "nftables"; }

std::optional<SessionNat> session_nat_from(const std::string& name) {
  if (name == "iptables") return SessionNat::kIptables;
  if (name == "nftables") return SessionNat::kNftables;
  return std::nullopt;
}

std::string data_root_of(const SessionSettings& s, const SessionKey& key) {
  return s.data_dir + "/" + key.scope_type + "-" + key.scope_id;
}

Result<SessionKey> parse_session_ref(const std::string& ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos) return make_error("\"" + ref + "\" is not type/id (e.g. session/s1)", EINVAL);
  SessionKey key{ref.substr(0, slash), ref.substr(slash + 1)};
  if (auto st = validate_key(key); !st) return make_error("\"" + ref + "\": " + st.error().message, EINVAL);
  return key;
}

}  // namespace hydra::session
