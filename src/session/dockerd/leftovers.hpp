// SPDX-License-Identifier: Apache-2.0
// What a session dockerd that died (SIGKILL, a crash) leaves running: with
// live-restore on, its containerd, the shims and the containers under them
// go on without it. A delete of that session ends them: found by their
// command lines — its own containerd and that containerd's shims name the
// exec root; the shared containerd's shims name the session's containerd
// namespace and the shared socket — the containers (the shims' children)
// first, through pidfds. The shared containerd itself is never one.
//
// THREADS: the thread that holds the session's op (a delete). LOCKS: none.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "base/result.hpp"

namespace hydra::session {

// Whose leftovers are looked for.
struct LeftoverOwner {
  std::string exec_root;             // the session dockerd's
  std::string containerd_namespace;  // its namespace in the shared containerd (hydraN)
  std::string shared_socket;         // the shared containerd's socket
};

// Whether a process with this argument vector is the session's.
bool left_by_session(const std::vector<std::string>& argv, const LeftoverOwner& owner);

// The processes left_by_session() finds, and their children.
std::vector<pid_t> leftover_processes(const LeftoverOwner& owner);

// SIGKILL to each, children first; waits at most timeout_ms for all to be
// gone (EBUSY naming one that is not). The number killed.
Result<size_t> end_leftovers(const LeftoverOwner& owner, int timeout_ms);

}  // namespace hydra::session
