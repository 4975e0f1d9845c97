// SPDX-License-Identifier: Apache-2.0
// Copies a dockerd data root exactly, as cheaply as its filesystem allows:
// per-file reflinks (FICLONE) where the filesystem shares extents (XFS),
// by hydrad's own threads (storage/reflink_tree.hpp: a tree of 20,000 files
// in a third of cp's time); a plain copy elsewhere, by GNU cp, one per
// top-level entry and overlay2 layer, run in parallel: it keeps everything
// overlay2's store holds (hard links, trusted.overlay.* xattrs, whiteout
// device nodes, owners, modes, timestamps, holes), as the reflink clone
// does and the golden tests check of both.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hydra::session {

enum class CloneMethod { kSnapshot, kReflink, kCopy };
const char* clone_method_name(CloneMethod m);

// What `dir`'s filesystem can do, tried at run time: FICLONE between two
// scratch files made there (and removed).
CloneMethod clone_method_for(const std::string& dir);

// The names in `dir` (not . and ..), sorted.
Result<std::vector<std::string>> directory_entries(const std::string& dir);

// The units of work of one clone: each top-level entry of the data root,
// except that `overlay2` is split into its layers (hard links never cross
// layers: each is unpacked or copied up on its own). Relative paths.
std::vector<std::string> clone_units(const std::vector<std::string>& top_level,
                                     const std::vector<std::string>& overlay2_layers);

// The copier's argument vector for one unit.
std::vector<std::string> copier_argv(const std::string& cp, const std::string& source_root,
                                     const std::string& target_root, const std::string& unit);

struct CloneSettings {
  // kReflink: hydrad's own threads; kCopy: GNU cp (kSnapshot is not a tree copy).
  CloneMethod method = CloneMethod::kCopy;
  std::string cp = "/bin/cp";
  int parallel = 4;  // copiers at once (a reflink clone has a thread per CPU)
  std::string log;  // the copiers' stderr
  // Called about every second while the clone runs: bytes copied so far.
  std::function<void(uint64_t done)> progress;
  // A reflink clone ends soon (ECANCELED) once this is set.
  const std::atomic<bool>* stop = nullptr;
};

// Copies `source` to `target` (which must not exist); `target`'s own mode,
// owner, xattrs and times are those of `source`. On an error `target` may
// be left partial: the caller builds under a temporary name and removes it.
Status clone_tree(const std::string& source, const std::string& target, const CloneSettings& settings);

}  // namespace hydra::session
