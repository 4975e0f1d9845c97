// SPDX-License-Identifier: Apache-2.0
// The system calls one entry of a cloned tree takes that are not its
// creation: its xattrs, read and written by fd (files, directories) or by
// path (symlinks, device nodes, which must not be opened), and its bytes
// when the filesystem will not share them. Used by reflink_tree's workers;
// no state, any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace hydra::session {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

// Every xattr (name, value) of an open file or of a path not followed; none
// on a filesystem without xattrs. `what` names it in an error.
Result<Xattrs> read_xattrs(int fd, const std::string& what);
Result<Xattrs> read_xattrs(const std::string& path);

// Sets each; the first that fails is the error (a lost xattr is never
// forgiven: trusted.overlay.* is what makes a whiteout or an opaque dir).
Status write_xattrs(int fd, const Xattrs& xattrs, const std::string& what);
Status write_xattrs(const std::string& path, const Xattrs& xattrs);

// Copies `size` bytes of `in` to `out` (empty, opened for writing), data
// ranges only: a hole stays a hole. In the kernel where it can
// (copy_file_range), by read and write where it cannot.
Status copy_file_data(int in, int out, off_t size, const std::string& what);

}  // namespace hydra::session
