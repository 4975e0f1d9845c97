// SPDX-License-Identifier: Apache-2.0
// session/desktop: a bridged desktop using its session like its own machine: the session's
// container names resolve (dnsmasq on the gateway, the desktop's resolv.conf
// pointing there first) and every port the session publishes answers on the
// desktop's localhost (DNAT in the desktop's namespace). Event-driven: a
// thread follows the session dockerd's event stream and resyncs from a full
// container list on every container or network event, and again whenever
// the stream is lost (a dockerd restart).
//
// THREADS: start() and the destructor run on the caller's (with the
// session's op held); the follower thread and dnsmasq's watcher are the
// link's own. LOCKS: `mu_` guards what shown() reads; no lock is held across
// I/O. It is taken after the manager's `mu_` when both are (view()).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "docker/unix_http.hpp"
#include "session/desktop/desktop_view.hpp"
#include "docker/child_supervisor.hpp"
#include "session/desktop/session_dns.hpp"
#include "session/core/session_spec.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::session {

struct DesktopLinkSetup {
  std::string session;  // "type/id", for events
  SessionNet net;
  std::string docker_socket;  // the session dockerd's
  pid_t desktop_pid = 0;
  DnsPaths dns;
  std::vector<std::string> dnsmasq_argv;
  // The desktop's resolv.conf before hydrad changed it (from a previous
  // hydrad); unset: read it now.
  std::optional<std::string> resolv_original;
};

struct DesktopShown {
  std::vector<NameRecord> names;
  std::vector<ForwardedPort> ports;    // answering on the desktop's localhost
  std::vector<ForwardedPort> skipped;  // published, but the desktop listens there itself
};

class DesktopLink {
 public:
  DesktopLink(DesktopLinkSetup setup, telemetry::EventLog& log);
  // Stops following, stops dnsmasq, removes the desktop's nft table and puts
  // its resolv.conf back as it was.
  ~DesktopLink();
  DesktopLink(const DesktopLink&) = delete;
  DesktopLink& operator=(const DesktopLink&) = delete;

  // dnsmasq up and answering, resolv.conf pointed at it, a first sync, the
  // follower started. On an error nothing is left changed.
  Status start();
  [[nodiscard]] const std::string& resolv_original() const { return resolv_original_; }
  [[nodiscard]] DesktopShown shown() const;

 private:
  Status start_dns();
  void stop_dns();
  Status write_resolv(const std::string& text) const;
  void follow();
  // One full resync; `event_ns`: the docker event that asked for it (0: none).
  void sync(int64_t event_ns);
  Status apply_ports(const std::vector<ForwardedPort>& ports);
  void remove_ports();

  DesktopLinkSetup setup_;
  telemetry::EventLog& log_;
  std::string resolv_original_;
  bool resolv_changed_ = false;
  std::unique_ptr<docker::ChildSupervisor> dns_;  // watches dnsmasq (a supervised child like dockerd)
  std::atomic<bool> dns_exited_{false};
  std::atomic<bool> stopping_{false};
  bool ports_applied_ = false;  // only the follower touches it after start()
  std::vector<ForwardedPort> forwarded_;
  std::vector<ForwardedPort> skipped_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  docker::StreamCancel* stream_ = nullptr;  // the stream being followed, guarded by mu_
  DesktopShown shown_;
  std::thread thread_;
};

}  // namespace hydra::session
