// SPDX-License-Identifier: Apache-2.0
#include "session/dockerd/dockerd_part.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "base/state_file.hpp"
#include "session/core/run_files.hpp"
#include "session/dockerd/dockerd_config.hpp"
#include "session/dockerd/leftovers.hpp"

namespace hydra::session {

std::vector<std::string> data_root_drivers(const std::string& data_root) {
  std::vector<std::string> out;
  for (const char* driver : {"overlay2", "btrfs", "fuse-overlayfs", "vfs", "zfs", "devicemapper", "overlay", "aufs"}) {
    struct stat st {};
    if (stat((data_root + "/" + driver).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.emplace_back(driver);
  }
  return out;
}

Result<docker::ChildProcess> DockerdLauncher::launch(const SessionNet& net, const SessionPaths& paths,
                                                     const LaunchOptions& options) {
  unlink(paths.socket.c_str());
  for (const auto& pidfile : {paths.pidfile, paths.exec_root + "/containerd/containerd.pid"})
    if (auto st = clear_stale_pidfile(pidfile); !st) return st.error();
  if (auto st = write_state_file(paths.config_file, daemon_json(net, settings_, options.storage_driver, options.cgroup_parent).dump(2) + "\n", 0644); !st)
    return st.error();
  std::string containerd_socket;
  if (containerd_) {
    auto socket = containerd_->ensure();
    if (!socket) return socket.error();
    containerd_socket = *socket;
  }
  return docker::ChildProcess::spawn(dockerd_argv(net, paths, settings_, options.limited, containerd_socket), paths.log,
                                     {.netns_fd = options.netns_fd, .cgroup_procs = options.cgroup_procs, .nice = options.nice});
}

Result<docker::ChildProcess> DockerdLauncher::adopt(const SessionPaths& paths) {
  const pid_t pid = read_pidfile(paths.pidfile);
  if (pid <= 0 || !process_alive(pid)) return make_error("no live dockerd in " + paths.pidfile, ESRCH);
  // A dockerd of the shared containerd waits for it and reconnects: it is
  // started again here if it went with the previous hydrad (a failure is
  // the containerd's events', and the dockerd is adopted regardless).
  if (containerd_) (void)containerd_->ensure();
  return docker::ChildProcess::adopt(pid);
}

DockerdLeftovers DockerdLauncher::release(const SessionNet& net, const SessionPaths& paths) {
  DockerdLeftovers out;
  const LeftoverOwner owner{paths.exec_root, net.bridge,
                            containerd_paths(settings_).socket};
  if (auto n = end_leftovers(owner, settings_.stop_timeout_ms); n) out.processes = *n;
  else out.errors.push_back(n.error().text());
  if (auto n = unmount_below(paths.dir); n) out.mounts = *n;
  else out.errors.push_back(n.error().text());
  if (auto st = release_data_root_mount(paths.data_root); !st) out.errors.push_back(st.error().text());
  return out;
}

}  // namespace hydra::session
