// SPDX-License-Identifier: Apache-2.0
#include "session/storage/tree_clone.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "session/core/helper_programs.hpp"
#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "docker/child_process.hpp"
#include "session/storage/data_usage.hpp"
#include "session/storage/reflink_tree.hpp"
#include "session/core/run_files.hpp"

namespace hydra::session {

namespace {

constexpr const char* kOverlay = "overlay2";

}  // namespace

Result<std::vector<std::string>> directory_entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return errno_error("open " + dir);
  std::vector<std::string> out;
  while (dirent* e = readdir(d)) {  // NOLINT(concurrency-mt-unsafe): a DIR of this call's own
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

bool is_real_dir(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A directory the copiers fill: made first (private until its attributes
// are copied at the end), so each unit lands inside it.
Status copy_xattrs(const std::string& from, const std::string& to) {
  ssize_t n = llistxattr(from.c_str(), nullptr, 0);
  if (n < 0) return errno == ENOTSUP ? Status{} : errno_error("list xattrs of " + from);
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(from.c_str(), names.data(), names.size());
  if (n < 0) return errno_error("list xattrs of " + from);
  names.resize(static_cast<size_t>(n));
  for (size_t at = 0; at < names.size(); at = names.find('\0', at) + 1) {
    const char* name = names.c_str() + at;
    ssize_t len = lgetxattr(from.c_str(), name, nullptr, 0);
    if (len < 0) return errno_error(std::string("read xattr ") + name + " of " + from);
    std::string value(static_cast<size_t>(len), '\0');
    len = lgetxattr(from.c_str(), name, value.data(), value.size());
    if (len < 0) return errno_error(std::string("read xattr ") + name + " of " + from);
    if (lsetxattr(to.c_str(), name, value.data(), static_cast<size_t>(len), 0) != 0)
      return errno_error(std::string("set xattr ") + name + " on " + to);
  }
  return {};
}

// The directory's own owner, xattrs, mode and times (times last: filling it
// changed them).
Status copy_dir_attributes(const std::string& from, const std::string& to) {
  struct stat st {};
  if (lstat(from.c_str(), &st) != 0) return errno_error("stat " + from);
  if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) return errno_error("chown " + to);
  if (auto s = copy_xattrs(from, to); !s) return s;
  if (chmod(to.c_str(), st.st_mode & 07777) != 0) return errno_error("chmod " + to);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("set times of " + to);
  return {};
}

}  // namespace

const char* clone_method_name(CloneMethod m) {
  switch (m) {
    case CloneMethod::kSnapshot: return "snapshot";
    case CloneMethod::kReflink: return "reflink";
    case CloneMethod::kCopy: return "copy";
  }
  return "?";
}

CloneMethod clone_method_for(const std::string& dir) {
  std::string a = dir + "/.clone-probe-XXXXXX", b = a;
  UniqueFd fa(mkostemp(a.data(), O_CLOEXEC));
  if (!fa.valid()) return CloneMethod::kCopy;
  UniqueFd fb(mkostemp(b.data(), O_CLOEXEC));
  bool reflink = false;
  if (fb.valid()) {
    const std::string block(4096, 'h');
    reflink = ::write(fa.get(), block.data(), block.size()) == static_cast<ssize_t>(block.size()) &&
              ioctl(fb.get(), FICLONE, fa.get()) == 0;
    unlink(b.c_str());
  }
  unlink(a.c_str());
  return reflink ? CloneMethod::kReflink : CloneMethod::kCopy;
}

std::vector<std::string> clone_units(const std::vector<std::string>& top_level,
                                     const std::vector<std::string>& overlay2_layers) {
  std::vector<std::string> out;
  for (const auto& e : top_level) {
    if (e != kOverlay) {
      out.push_back(e);
      continue;
    }
    for (const auto& layer : overlay2_layers) out.push_back(std::string(kOverlay) + "/" + layer);
  }
  return out;
}

std::vector<std::string> copier_argv(const std::string& cp, const std::string& source_root,
                                     const std::string& target_root, const std::string& unit) {
  // Not -a: its --preserve=all forgives a lost xattr; these fail instead.
  return {cp,
          "--no-dereference",
          "--recursive",
          "--preserve=mode,ownership,timestamps,links,xattr",
          "--reflink=auto",
          "--no-target-directory",
          source_root + "/" + unit,
          target_root + "/" + unit};
}

Status clone_tree(const std::string& source, const std::string& target, const CloneSettings& settings) {
  if (settings.method == CloneMethod::kReflink)
    return reflink_tree(source, target,
                        ReflinkOptions{.threads = 0, .progress = settings.progress, .stop = settings.stop});
  if (auto st = require_helper(copier_program(settings.cp)); !st) return st;
  auto top = directory_entries(source);
  if (!top) return top.error();
  std::vector<std::string> layers;
  const bool split = std::find(top->begin(), top->end(), kOverlay) != top->end() && is_real_dir(source + "/" + kOverlay);
  if (split) {
    auto l = directory_entries(source + "/" + kOverlay);
    if (!l) return l.error();
    layers = std::move(*l);
  }
  if (::mkdir(target.c_str(), 0700) != 0) return errno_error("create " + target);
  if (split && ::mkdir((target + "/" + kOverlay).c_str(), 0700) != 0) return errno_error("create " + target + "/overlay2");
  const std::vector<std::string> units =
      split ? clone_units(*top, layers) : clone_units(*top, {});

  std::vector<std::pair<std::string, docker::ChildProcess>> running;
  size_t next = 0;
  std::optional<Error> failed;
  int64_t last_progress = monotonic_us();
  while ((next < units.size() && !failed) || !running.empty()) {
    while (!failed && next < units.size() && static_cast<int>(running.size()) < std::max(1, settings.parallel)) {
      auto p = docker::ChildProcess::spawn(copier_argv(settings.cp, source, target, units[next]), settings.log,
                                             {.die_with_spawner = true});
      if (!p) {
        failed = p.error();
        break;
      }
      running.emplace_back(units[next++], std::move(*p));
    }
    std::vector<pollfd> fds;
    fds.reserve(running.size());
    for (const auto& [_, p] : running) fds.push_back({p.pidfd(), POLLIN, 0});
    if (!fds.empty()) (void)::poll(fds.data(), fds.size(), 1000);
    for (auto it = running.begin(); it != running.end();) {
      auto code = it->second.exited();
      if (!code) {
        ++it;
        continue;
      }
      if (*code != 0 && !failed)
        failed = make_error("copying " + it->first + ": " + settings.cp + " exited with code " +
                                std::to_string(*code) + ": " + log_tail(settings.log),
                            EIO);
      it = running.erase(it);
    }
    if (failed)
      for (auto& [_, p] : running) p.signal(SIGKILL);
    if (settings.progress && monotonic_us() - last_progress >= 1'000'000) {
      last_progress = monotonic_us();
      if (auto size = measure_tree(target)) settings.progress(size->bytes);
    }
  }
  if (failed) return *failed;
  if (split)
    if (auto s = copy_dir_attributes(source + "/" + kOverlay, target + "/" + kOverlay); !s) return s;
  return copy_dir_attributes(source, target);
}

}  // namespace hydra::session
