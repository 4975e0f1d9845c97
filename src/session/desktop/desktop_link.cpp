// SPDX-License-Identifier: Apache-2.0
#include "session/desktop/desktop_link.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/whole_file.hpp"
#include "base/clock.hpp"
#include "docker/engine_client.hpp"
#include "docker/engine_decode.hpp"
#include "netlink/netns.hpp"
#include "session/core/run_files.hpp"
#include "session/network/nft_runner.hpp"
#include "base/guarded_thread.hpp"

namespace hydra::session {

namespace {

// Container and network events: what changes a name, an address or a port.
constexpr const char* kEvents =
    "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%2C%22event%22%3A%5B%22start%22%2C%22die%22"
    "%2C%22rename%22%2C%22destroy%22%2C%22connect%22%2C%22disconnect%22%5D%7D";

// "" when it cannot be read: a process or file gone is nothing to parse.
std::string read_file(const std::string& path) { return read_whole_file(path).value_or(""); }

// Written in place: the desktop's resolv.conf is a file Docker bind-mounts,
// which a rename could not replace.
Status write_in_place(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  Error e = errno_error("write " + path);
  ::close(fd);
  if (!ok) return e;
  return {};
}

// A file dnsmasq reads, replaced in one rename: it never reads half of it.
Status replace_dns_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return make_error("write " + tmp, EIO);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp);
  return {};
}

// What the session's resolver knows: its names, and which of them it answers
// alone. Both are read again on the SIGHUP that follows.
Status write_names(const DnsPaths& p, const DesktopView& view) {
  if (auto st = replace_dns_file(p.local_names_file, local_names_file(view)); !st) return st;
  return replace_dns_file(p.hosts_file, hosts_file(view));
}

// Is `address`:53 bound (UDP) in the namespace of `pid`?
bool dns_bound(pid_t pid, const std::string& address) {
  in_addr a{};
  if (inet_pton(AF_INET, address.c_str(), &a) != 1) return false;
  char want[16];
  (void)std::snprintf(want, sizeof want, "%08X:0035", a.s_addr);  // as /proc prints a __be32
  return read_file("/proc/" + std::to_string(pid) + "/net/udp").find(want) != std::string::npos;
}

// dnsmasq drops to an unprivileged user and re-reads the hosts file as that
// user: every directory above it must be searchable by others.
Status reachable_by_others(const std::string& dir) {
  for (std::string d = dir; d.size() > 1; d = d.substr(0, d.rfind('/'))) {
    struct stat st {};
    if (stat(d.c_str(), &st) != 0) return errno_error("stat " + d);
    if (!(st.st_mode & S_IXOTH))
      return make_error(std::string("dnsmasq runs unprivileged and cannot reach ")
                            .append(dir)
                            .append(": ")
                            .append(d)
                            .append(" is not searchable by others (chmod o+x, or another run_dir)"),
                        EACCES);
  }
  return {};
}

Status set_route_localnet() {
  return write_sysctl(std::string("/proc/sys/net/ipv4/conf/") + kDesktopInterface + "/route_localnet", "1");
}

}  // namespace

DesktopLink::DesktopLink(DesktopLinkSetup setup, telemetry::EventLog& log) : setup_(std::move(setup)), log_(log) {}

DesktopLink::~DesktopLink() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (stream_) stream_->cancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  stop_dns();
  if (ports_applied_) remove_ports();
  if (resolv_changed_)
    if (auto st = write_resolv(resolv_original_); !st)
      log_.emit("desktop_dns_failed", {{"session", setup_.session}, {"error", st.error().text()},
                                       {"action", "the desktop's resolv.conf was not restored (the desktop is gone?)"}});
}

Status DesktopLink::write_resolv(const std::string& text) const {
  return write_in_place("/proc/" + std::to_string(setup_.desktop_pid) + "/root/etc/resolv.conf", text);
}

Status DesktopLink::start_dns() {
  const DnsPaths& p = setup_.dns;
  if (auto st = make_dirs(p.dir, 0755); !st) return st;
  if (auto st = reachable_by_others(p.dir); !st) return st;
  // A dnsmasq a crashed hydrad left behind holds the address: it goes.
  if (pid_t old = read_pidfile(p.pidfile); old > 0 && process_alive(old) &&
                                           read_file("/proc/" + std::to_string(old) + "/cmdline").find(p.pidfile) !=
                                               std::string::npos)
    if (auto proc = docker::ChildProcess::adopt(old)) proc->stop(2000);
  if (auto st = write_names(p, {}); !st) return st;
  UniqueFd ns;
  if (setup_.net.isolated) {
    auto fd = netlink::open_netns(setup_.net.netns);
    if (!fd) return fd.error();
    ns = std::move(*fd);
  }
  auto proc = docker::ChildProcess::spawn(setup_.dnsmasq_argv, p.log, {.netns_fd = ns.valid() ? ns.get() : -1});
  if (!proc) return proc.error();
  const pid_t pid = proc->pid();
  // Ready when its socket is bound; an exit (the address taken, a bad
  // option) ends the wait at once.
  const int64_t deadline = monotonic_us() + 5'000'000;
  while (!dns_bound(pid, setup_.net.gateway)) {
    if (auto code = proc->exited())
      return make_error("dnsmasq exited with code " + std::to_string(*code) + ": " + log_tail(p.log), ECHILD);
    if (monotonic_us() > deadline) {
      proc->stop(1000);
      return make_error("dnsmasq did not bind " + setup_.net.gateway + ":53 within 5 s: " + log_tail(p.log), ETIMEDOUT);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  dns_exited_ = false;
  docker::ChildSupervisor::Hooks hooks{[this](int code) {
                                   dns_exited_ = true;
                                   if (stopping_) return;
                                   log_.emit("desktop_dns_exited", {{"session", setup_.session}, {"exit_code", code},
                                                                    {"action", "restarted"}});
                                   std::lock_guard lock(mu_);
                                   if (stream_) stream_->cancel();  // the follower restarts it
                                 },
                                 [] {}};
  dns_ = std::make_unique<docker::ChildSupervisor>(std::move(*proc), 3'600'000, std::move(hooks));
  return {};
}

void DesktopLink::stop_dns() {
  if (!dns_) return;
  if (!dns_exited_) {
    dns_->signal(SIGTERM);
    if (!dns_->wait_exited(2000)) {
      dns_->signal(SIGKILL);
      (void)dns_->wait_exited(2000);
    }
  }
  dns_.reset();
}

Status DesktopLink::start() {
  if (auto st = start_dns(); !st) return st;
  const std::string resolv = "/proc/" + std::to_string(setup_.desktop_pid) + "/root/etc/resolv.conf";
  resolv_original_ = setup_.resolv_original ? *setup_.resolv_original : read_file(resolv);
  if (auto st = write_resolv(resolv_with_gateway(resolv_original_, setup_.net.gateway)); !st) {
    stopping_ = true;
    stop_dns();
    return st;
  }
  resolv_changed_ = true;
  sync(0);
  thread_ = guarded_thread("desktop link of " + setup_.session, [this] { follow(); });
  return {};
}

DesktopShown DesktopLink::shown() const {
  std::lock_guard lock(mu_);
  return shown_;
}

void DesktopLink::follow() {
  while (!stopping_) {
    if (dns_exited_) {
      stop_dns();
      if (auto st = start_dns(); !st)
        log_.emit("desktop_dns_failed", {{"session", setup_.session}, {"error", st.error().text()}});
    }
    docker::StreamCancel cancel;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      stream_ = &cancel;
    }
    sync(0);  // whatever happened while no stream was followed
    std::string pending;
    auto r = docker::unix_http_stream(setup_.docker_socket, kEvents, [&](std::string_view data) {
      pending.append(data);
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        auto when = docker::decode_event_time(std::string_view(pending).substr(0, nl));
        pending.erase(0, nl + 1);
        if (when) sync(*when);
      }
      return !stopping_;
    }, &cancel);
    {
      std::lock_guard lock(mu_);
      stream_ = nullptr;
    }
    if (stopping_) break;
    if (!dns_exited_) {
      // The stream ended: the dockerd restarted or went away. Retry in a second.
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
    }
  }
}

void DesktopLink::sync(int64_t event_ns) {
  docker::EngineClient engine(setup_.docker_socket, 5);
  auto running = engine.running_containers();
  if (!running) return;  // the stream's end brings the next try
  std::vector<docker::ContainerNetworking> containers;
  for (const auto& id : *running)
    if (auto c = engine.networking(id)) containers.push_back(std::move(*c));
  DesktopView view = desktop_view(containers);
  if (auto st = write_names(setup_.dns, view); !st)
    log_.emit("desktop_dns_failed", {{"session", setup_.session}, {"error", st.error().text()}});
  else if (dns_ && !dns_exited_)
    dns_->signal(SIGHUP);  // re-read the hosts file (and forget what it cached)

  const std::string proc = "/proc/" + std::to_string(setup_.desktop_pid) + "/net/";
  std::set<uint16_t> tcp = listening_ports(read_file(proc + "tcp"), "tcp");
  std::set<uint16_t> udp = listening_ports(read_file(proc + "udp"), "udp");
  tcp.merge(listening_ports(read_file(proc + "tcp6"), "tcp"));
  udp.merge(listening_ports(read_file(proc + "udp6"), "udp"));
  std::vector<ForwardedPort> forward, skipped;
  for (const auto& p : view.ports) {
    const auto& own = p.proto == "tcp" ? tcp : udp;
    // A port already forwarded is ours in /proc too only if the desktop
    // listens there itself; then the forward would shadow it: it goes.
    (own.count(p.port) ? skipped : forward).push_back(p);
  }
  if (!ports_applied_ || forward != forwarded_) {
    if (auto st = apply_ports(forward); !st) {
      log_.emit("desktop_ports_failed", {{"session", setup_.session}, {"error", st.error().text()}});
    } else {
      for (const auto& p : forward)
        if (!std::binary_search(forwarded_.begin(), forwarded_.end(), p))
          log_.emit("desktop_port_forwarded", {{"session", setup_.session}, {"proto", p.proto}, {"port", p.port},
                                               {"container", p.container}, {"to", setup_.net.gateway}});
      for (const auto& p : forwarded_)
        if (!std::binary_search(forward.begin(), forward.end(), p))
          log_.emit("desktop_port_removed", {{"session", setup_.session}, {"proto", p.proto}, {"port", p.port},
                                             {"container", p.container}});
      forwarded_ = forward;
    }
  }
  for (const auto& p : skipped)
    if (!std::binary_search(skipped_.begin(), skipped_.end(), p))
      log_.emit("desktop_port_skipped", {{"session", setup_.session}, {"proto", p.proto}, {"port", p.port},
                                         {"container", p.container},
                                         {"reason", "the desktop listens on this port itself"}});
  skipped_ = skipped;
  {
    std::lock_guard lock(mu_);
    shown_ = {view.names, forwarded_, skipped_};
  }
  if (event_ns > 0)
    log_.emit("desktop_synced", {{"session", setup_.session}, {"names", view.names.size()},
                                 {"ports", forwarded_.size()},
                                 {"event_to_applied_us", (realtime_now_ns() - event_ns) / 1000}});
}

Status DesktopLink::apply_ports(const std::vector<ForwardedPort>& ports) {
  auto inside = netlink::NetnsSwitch::enter_pid(setup_.desktop_pid);
  if (!inside) return inside.error();
  if (!ports_applied_)
    if (auto st = set_route_localnet(); !st) return st;
  if (auto r = NftRunner().run(desktop_nat_script(setup_.net, ports)); !r) return r.error();
  ports_applied_ = true;
  return {};
}

void DesktopLink::remove_ports() {
  auto inside = netlink::NetnsSwitch::enter_pid(setup_.desktop_pid);
  if (!inside) return;  // the desktop is gone, and its table with it
  (void)NftRunner().run(std::string("add table ") + kDesktopTable + "\ndelete table " + kDesktopTable);
}

}  // namespace hydra::session
