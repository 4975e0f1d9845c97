// SPDX-License-Identifier: Apache-2.0
// The files a session dockerd leaves in its run dir, as hydrad reads them:
// pidfiles (to adopt or clean), the log (to say why a start failed).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"

namespace hydra::session {

Status make_dirs(const std::string& dir, mode_t mode);
// The last three lines of a log file.
std::string log_tail(const std::string& path);
// 0 when absent or unreadable.
pid_t read_pidfile(const std::string& path);
// A /proc/PID/cmdline's text (NUL after each argument) as its arguments.
std::vector<std::string> split_cmdline(const std::string& nul_separated);
// The arguments of process `pid` (empty when it is gone).
std::vector<std::string> process_argv(pid_t pid);
// True while `pid` runs (a zombie does not: its parent just has not reaped it).
bool process_alive(pid_t pid);
// dockerd refuses to start while its pidfile names a live process, and
// waits for "its" containerd while containerd's pidfile does. Pidfiles left
// by a crash (the process gone, or a zombie nobody reaped) are removed; a
// live process is a conflict (EBUSY).
Status clear_stale_pidfile(const std::string& path);
// Detaches every mount at or below `dir`, deepest first: what a stopped
// dockerd leaves in its exec root (exec/netns/default, the bind mount of its
// own network namespace, made once a container used --network host) and
// what would otherwise keep the session's namespace alive after a delete.
// The number detached.
Result<size_t> unmount_below(const std::string& dir);
// The mount points at or below `dir` in hydrad's mount namespace, deepest first.
Result<std::vector<std::string>> mounts_below(const std::string& dir);
// A data root whose dockerd and containers are gone: dockerd bind-mounts its
// data root onto itself at start and undoes it only on a clean stop, so a
// killed one leaves that mount behind, and the root filesystems of the
// containers it left. All are detached here.
// (A data root that is a link — a session bound to a warm pool's dockerd —
// is its target's: dockerd resolved it.)
Status release_data_root_mount(const std::string& data_root);
// A data root as dockerd sees it: the target of a link (a warm pool's data
// root, bound to the session's key), else the path itself.
std::string resolved_data_root(const std::string& data_root);

}  // namespace hydra::session
