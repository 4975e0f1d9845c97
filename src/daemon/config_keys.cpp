// SPDX-License-Identifier: Apache-2.0
#include "daemon/config_keys.hpp"

#include <algorithm>
#include <functional>

#include "netlink/ifname.hpp"
#include "session/network/uplink_firewall.hpp"
#include "session/storage/golden_store.hpp"
#include "session/storage/storage_policy.hpp"

namespace hydra::daemon {

std::string config_where(const std::string& origin, const toml::source_region& src) {
  return origin + ":" + std::to_string(src.begin.line);
}

std::string_view on_reload_text(OnReload r) {
  return r == OnReload::kApplied ? "applied at once" : "kept until hydrad restarts";
}

namespace {

// "FILE:LINE: KEY must be ..."
Error key_error(const KeyInput& in, const std::string& what) {
  return make_error(config_where(in.origin, in.node.source()) + ": " + in.key + " " + what, EINVAL);
}

// "FILE:LINE: KEY: why", for a value its own parser refused.
Error key_refused(const KeyInput& in, const std::string& why) {
  return make_error(config_where(in.origin, in.node.source()) + ": " + in.key + ": " + why, EINVAL);
}

std::string quoted(const std::string& v) { return "\"" + v + "\""; }

std::string quoted_list(const std::vector<std::string>& v) {
  std::string l;
  for (const auto& e : v) l += (l.empty() ? "" : ", ") + quoted(e);
  return "[" + l + "]";
}

// Each codec reads one kind of value into its field and prints it back.
struct Text {
  static Status read(const KeyInput& in, std::string& out) {
    auto v = in.node.value<std::string>();
    if (!in.node.is_string() || !v) return key_error(in, "must be a string");
    out = *v;
    return {};
  }
  static std::string show(const std::string& v) { return quoted(v); }
};

struct Flag {
  static Status read(const KeyInput& in, bool& out) {
    auto v = in.node.value<bool>();
    if (!in.node.is_boolean() || !v) return key_error(in, "must be true or false");
    out = *v;
    return {};
  }
  static std::string show(bool v) { return v ? "true" : "false"; }
};

struct Seconds {  // held in milliseconds
  static Status read(const KeyInput& in, int& out_ms) {
    auto v = in.node.value<int64_t>();
    if (!in.node.is_integer() || !v || *v < 1 || *v > 3600) return key_error(in, "must be a whole number of seconds, 1 to 3600");
    out_ms = static_cast<int>(*v * 1000);
    return {};
  }
  static std::string show(int ms) { return std::to_string(ms / 1000); }
};

template <unsigned kMin>
struct Count {
  static Status read(const KeyInput& in, unsigned& out) {
    auto v = in.node.value<int64_t>();
    if (!in.node.is_integer() || !v || *v < kMin || *v > 65536)
      return key_error(in, "must be a whole number, " + std::to_string(kMin) + " to 65536");
    out = static_cast<unsigned>(*v);
    return {};
  }
  static std::string show(unsigned v) { return std::to_string(v); }
};

struct Priority {
  static Status read(const KeyInput& in, int& out) {
    auto v = in.node.value<int64_t>();
    if (!in.node.is_integer() || !v || *v < 0 || *v > 99) return key_error(in, "must be 0 (off) to 99");
    out = static_cast<int>(*v);
    return {};
  }
  static std::string show(int v) { return std::to_string(v); }
};

struct Days {  // held in seconds
  static Status read(const KeyInput& in, int64_t& out_s) {
    unsigned days = 0;
    if (auto st = Count<0>::read(in, days); !st) return st;
    out_s = int64_t{days} * 86400;
    return {};
  }
  static std::string show(int64_t s) { return std::to_string(s / 86400); }
};

// Whole seconds, or a string with s, m, h or d ("72h", "7d"); 0 is off.
struct Duration {
  static Status read(const KeyInput& in, int64_t& out_s) {
    std::string text;
    if (in.node.is_integer()) text = std::to_string(*in.node.value<int64_t>());
    else if (auto st = Text::read(in, text); !st) return st;
    int64_t unit = 1;
    if (!text.empty() && std::string("smhd").find(text.back()) != std::string::npos) {
      unit = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : text.back() == 'h' ? 3600 : 86400;
      text.pop_back();
    }
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
      return key_error(in, "must be seconds or a number with s, m, h or d (7d)");
    out_s = std::stoll(text) * unit;
    return {};
  }
  static std::string show(int64_t s) { return std::to_string(s); }
};

struct Threshold {
  static Status read(const KeyInput& in, std::string& out) {
    std::string text;
    if (in.node.is_integer()) text = std::to_string(*in.node.value<int64_t>());
    else if (auto st = Text::read(in, text); !st) return st;
    if (auto t = session::FreeThreshold::parse(text); !t) return key_refused(in, t.error().message);
    out = text;
    return {};
  }
  static std::string show(const std::string& v) { return quoted(v); }
};

// [sessions.limits]: 0 (or "") is no limit.
struct MemorySize {
  static Status read(const KeyInput& in, std::optional<uint64_t>& out) {
    std::string text;
    if (in.node.is_integer()) {
      const int64_t v = *in.node.value<int64_t>();
      if (v < 0) return key_error(in, "must be bytes, or a size such as 2GiB or 512m; 0 is no limit");
      text = std::to_string(v);
    } else if (auto st = Text::read(in, text); !st) {
      return st;
    }
    if (text.empty() || text == "0") {
      out.reset();
      return {};
    }
    auto bytes = session::parse_memory_size(text);
    if (!bytes) return key_refused(in, bytes.error().message);
    if (*bytes < session::kMinSessionMemory)
      return key_refused(in, "a session needs at least " + session::memory_size_text(session::kMinSessionMemory) +
                                 " (its dockerd and containerd)");
    out = *bytes;
    return {};
  }
  static std::string show(const std::optional<uint64_t>& v) { return v ? quoted(session::memory_size_text(*v)) : "0"; }
};

struct CpuCount {
  static Status read(const KeyInput& in, std::optional<double>& out) {
    std::optional<double> v;
    if (in.node.is_integer()) v = static_cast<double>(*in.node.value<int64_t>());
    else if (in.node.is_floating_point()) v = *in.node.value<double>();
    if (!v || *v < 0) return key_error(in, "must be a number of CPUs (1.5); 0 is no limit");
    if (*v == 0) out.reset();
    else out = *v;
    return {};
  }
  static std::string show(const std::optional<double>& v) {
    if (!v) return "0";
    std::string t = std::to_string(*v);
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t += '0';
    return t;
  }
};

template <class T, int64_t kMin, int64_t kMax, const char* kWhy>
struct Count0 {
  static Status read(const KeyInput& in, std::optional<T>& out) {
    auto v = in.node.value<int64_t>();
    if (!in.node.is_integer() || !v || *v < 0 || *v > kMax)
      return key_error(in, "must be a whole number, 0 to " + std::to_string(kMax) + "; 0 is no limit");
    if (*v == 0) out.reset();
    else if (*v < kMin) return key_error(in, "must be at least " + std::to_string(kMin) + kWhy + "; 0 is no limit");
    else out = static_cast<T>(*v);
    return {};
  }
  static std::string show(const std::optional<T>& v) { return v ? std::to_string(*v) : "0"; }
};
inline constexpr char kNoReason[] = "";
inline constexpr char kTasksReason[] = " (its dockerd, containerd and shims keep a quarter, at least 128)";
using Weight = Count0<uint32_t, 1, 10000, kNoReason>;
using Tasks = Count0<uint64_t, static_cast<int64_t>(session::kMinSessionPids), 4194304, kTasksReason>;

struct CgroupPath {
  static Status read(const KeyInput& in, std::string& out) {
    std::string text;
    if (auto st = Text::read(in, text); !st) return st;
    if (!text.empty() && (text[0] != '/' || text.find("..") != std::string::npos || text.find("//") != std::string::npos ||
                          text.find_first_of(" \n\t") != std::string::npos))
      return key_error(in, "must be an absolute cgroup path such as /hydra (or empty for the default)");
    out = text;
    return {};
  }
  static std::string show(const std::string& v) { return quoted(v); }
};

struct Network {
  static Status read(const KeyInput& in, session::Ipv4Net& out) {
    std::string text;
    if (auto st = Text::read(in, text); !st) return st;
    auto net = session::Ipv4Net::parse(text);
    if (!net) return key_refused(in, net.error().message);
    out = *net;
    return {};
  }
  static std::string show(const session::Ipv4Net& v) { return quoted(v.text()); }
};

struct Mode {
  static Status read(const KeyInput& in, session::NetworkMode& out) {
    std::string text;
    if (auto st = Text::read(in, text); !st) return st;
    auto mode = session::network_mode_from(text);
    if (!mode) return key_error(in, "must be \"isolated\" or \"shared\", not \"" + text + "\"");
    out = *mode;
    return {};
  }
  static std::string show(session::NetworkMode v) { return quoted(session::network_mode_name(v)); }
};

struct ContainerdModeCodec {
  static Status read(const KeyInput& in, session::ContainerdMode& out) {
    std::string text;
    if (auto st = Text::read(in, text); !st) return st;
    auto mode = session::containerd_mode_from(text);
    if (!mode) return key_error(in, "must be \"shared\" or \"per-session\", not \"" + text + "\"");
    out = *mode;
    return {};
  }
  static std::string show(session::ContainerdMode v) { return quoted(session::containerd_mode_name(v)); }
};

struct SessionNatCodec {
  static Status read(const KeyInput& in, session::SessionNat& out) {
    std::string text;
    if (auto st = Text::read(in, text); !st) return st;
    auto nat = session::session_nat_from(text);
    if (!nat) return key_error(in, "must be \"iptables\" or \"nftables\", not \"" + text + "\"");
    out = *nat;
    return {};
  }
  static std::string show(session::SessionNat v) { return quoted(session::session_nat_name(v)); }
};

struct Golden {
  static Status read(const KeyInput& in, std::string& out) {
    std::string name;
    if (auto st = Text::read(in, name); !st) return st;
    if (!name.empty())
      if (auto v = session::validate_golden_name(name); !v) return key_refused(in, v.error().text());
    out = name;
    return {};
  }
  static std::string show(const std::string& v) { return quoted(v); }
};

// An array of strings, each checked by `check` (its error names the entry).
Status read_strings(const KeyInput& in, std::vector<std::string>& out,
                    const std::function<Status(const std::string&)>& check) {
  const toml::array* arr = in.node.as_array();
  if (!arr) return key_error(in, "must be an array of strings");
  std::vector<std::string> items;
  for (const auto& item : *arr) {
    auto v = item.value<std::string>();
    if (!item.is_string() || !v) return make_error(config_where(in.origin, item.source()) + ": " + in.key + " must hold strings", EINVAL);
    if (auto st = check(*v); !st) return make_error(config_where(in.origin, item.source()) + ": " + st.error().message, EINVAL);
    items.push_back(*v);
  }
  out = std::move(items);
  return {};
}

template <bool kDeny>
struct Egress {
  static Status read(const KeyInput& in, std::vector<std::string>& out) {
    return read_strings(in, out, [](const std::string& entry) -> Status {
      if (kDeny && entry == "sandbox") return {};
      auto p = kDeny ? session::parse_egress({entry}, {}) : session::parse_egress({}, {entry});
      if (!p) return make_error("sessions." + p.error().message + (kDeny ? " (or \"sandbox\")" : ""), EINVAL);
      return {};
    });
  }
  static std::string show(const std::vector<std::string>& v) { return quoted_list(v); }
};

struct Bridges {
  static Status read(const KeyInput& in, std::vector<std::string>& out) {
    return read_strings(in, out, [](const std::string& name) { return netlink::validate_ifname(name); });
  }
  static std::string show(const std::vector<std::string>& v) { return quoted_list(v); }
};

// One row: FIELD is an expression on `c`, the DaemonConfig.
#define HYDRA_KEY(SECTION, NAME, CODEC, FIELD, TYPE, RELOAD, DOC)                                   \
  ConfigKey {                                                                                       \
    SECTION, NAME, TYPE, OnReload::RELOAD, DOC,                                                     \
        [](const KeyInput& in, DaemonConfig& c) -> Status { return CODEC::read(in, c.FIELD); },     \
        [](const DaemonConfig& c) -> std::string { return CODEC::show(c.FIELD); }                   \
  }

constexpr std::string_view kPath = "absolute path";
constexpr std::string_view kSecs = "whole seconds, 1 to 3600";

#include "daemon/config_key_table.inc"

#undef HYDRA_KEY

}  // namespace

std::span<const ConfigKey> config_keys() { return kConfigKeys; }

const ConfigKey* find_config_key(std::string_view section, std::string_view name) {
  for (const auto& k : kConfigKeys)
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

bool is_config_section(std::string_view name) {
  return !name.empty() &&
         std::any_of(std::begin(kConfigKeys), std::end(kConfigKeys), [&](const ConfigKey& k) { return k.section == name; });
}

}  // namespace hydra::daemon
