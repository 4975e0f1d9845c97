// SPDX-License-Identifier: Apache-2.0
// Clones a dockerd data root on a filesystem that shares extents (XFS):
// each regular file by one FICLONE, everything else made anew, with owners,
// modes, xattrs (trusted.overlay.*, security.capability, ACLs), times and
// hard links as in the source. GNU cp did this one cp per layer; most of its
// time went to system calls it needs for generality (13 a file, where 8
// do) and to one layer of 20,000 files running on one CPU. Here several
// threads share out every directory, a big one in slices of its files, and
// a hard-link group is copied once, by whichever thread meets it first, and
// linked from there.
//
// THREADS: reflink_tree() runs on its caller's thread (an API thread or the
// pool's), which starts the workers, reports progress and joins them before
// it returns. LOCKS: one mutex in the call guards its queue of jobs, its
// table of hard-link groups, its list of directories and its first error;
// it is never held across a system call.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace hydra::session {

// What a made non-directory still needs, given who made it: its owner only
// where it differs from the maker's, its mode again where the umask
// narrowed it or it has set-id bits (a chown clears them).
struct EntrySteps {
  bool chown = false;
  bool chmod = false;
};
EntrySteps entry_steps(mode_t mode, uid_t uid, gid_t gid, uid_t my_uid, gid_t my_gid, mode_t umask);

// The "Umask:" of a /proc/PID/status text; nullopt when it has none.
std::optional<mode_t> umask_from_status(const std::string& status);

// A directory's regular files are handed out this many at a time, so one
// big directory keeps every thread busy.
inline constexpr size_t kEntriesPerJob = 128;

// Worker threads for `requested` (0: one per CPU) on `cpus` CPUs: 2 to 8.
int reflink_threads(int requested, unsigned cpus);

struct ReflinkOptions {
  int threads = 0;  // 0: one per CPU, 2 to 8
  // On the caller's thread about every second: bytes (allocated) cloned.
  std::function<void(uint64_t bytes_done)> progress;
  // Set (by another thread): the clone ends soon, with ECANCELED.
  const std::atomic<bool>* stop = nullptr;
};

// Clones `source` into `target` (which must not exist; made here). A file
// the filesystem cannot share extents of (FICLONE refused) is copied, its
// holes kept. The first error ends the clone and is returned with the path
// and errno; `target` is then partial and the caller removes it.
Status reflink_tree(const std::string& source, const std::string& target, const ReflinkOptions& options);

}  // namespace hydra::session
