// SPDX-License-Identifier: Apache-2.0
// What a session dockerd that died (SIGKILL, a crash) leaves running: with
// live-restore on, its containerd, the shims and the containers under them
// go on without it. A delete of that session ends them: found by the exec
// root on their command lines (dockerd's containerd and every shim name its
// socket there), the containers (the shims' children) first, through pidfds.
//
// THREADS: the thread that holds the session's op (a delete). LOCKS: none.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "base/result.hpp"

namespace hydra::session {

// The processes whose command line names `exec_root`, and their children.
std::vector<pid_t> leftover_processes(const std::string& exec_root);

// SIGKILL to each, children first; waits at most timeout_ms for all to be
// gone (EBUSY naming one that is not). The number killed.
Result<size_t> end_leftovers(const std::string& exec_root, int timeout_ms);

}  // namespace hydra::session
