// SPDX-License-Identifier: Apache-2.0
#include "session/storage/data_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <system_error>
#include <ctime>
#include <set>
#include <utility>
#include <vector>

#include "base/unique_fd.hpp"
#include "base/guarded_thread.hpp"
#include "session/core/run_files.hpp"

namespace hydra::session {

namespace {

using Inode = std::pair<dev_t, ino_t>;

struct Walk {
  dev_t dev = 0;
  const std::atomic<bool>* stop = nullptr;
  bool remove = false;
  TreeSize size;
  std::set<Inode> linked;  // inodes with more than one link, counted once
  std::string first_error;
};

void count(Walk& w, const struct stat& st) {
  ++w.size.entries;
  if (!S_ISDIR(st.st_mode)) {
    const Inode id{st.st_dev, st.st_ino};
    if (st.st_nlink > 1 && !w.linked.insert(id).second) return;
    // Removing: the last name of an inode met before has one link left.
    if (st.st_nlink == 1 && w.remove && !w.linked.empty() && w.linked.count(id)) return;
  }
  w.size.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
}

void note(Walk& w, const std::string& what) {
  if (w.first_error.empty()) w.first_error = what;
}

// "PATH: errno text" (strerror is not thread-safe).
void note_errno(Walk& w, const std::string& path) {
  note(w, path + ": " + std::error_code(errno, std::generic_category()).message());
}

// The directory open as `dir` (its path `path`, for messages).
void walk_dir(Walk& w, int dir, const std::string& path, int depth) {
  if (depth > 512) return note(w, path + ": nested too deep");
  UniqueFd dup(fcntl(dir, F_DUPFD_CLOEXEC, 0));
  DIR* d = dup.valid() ? fdopendir(dup.get()) : nullptr;
  if (!d) return note_errno(w, path);
  (void)dup.release();  // the DIR owns it now
  // readdir is safe on a DIR that only this call uses.
  while (dirent* e = readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    if (w.stop && w.stop->load(std::memory_order_relaxed)) break;
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    std::string child = path;
    child.append("/").append(name);
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != w.dev) {  // a mount point: not ours to count or delete
        note(w, child + " is a mount point; left in place");
        continue;
      }
      UniqueFd sub(openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        note_errno(w, child);
        continue;
      }
      count(w, st);
      walk_dir(w, sub.get(), child, depth + 1);
      if (w.remove && unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) note_errno(w, child);
    } else {
      count(w, st);
      if (w.remove && unlinkat(dir, name.c_str(), 0) != 0) note_errno(w, child);
    }
  }
  closedir(d);
}

Result<TreeSize> walk_root(const std::string& root, bool remove, const std::atomic<bool>* stop) {
  UniqueFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return errno_error(root);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return errno_error(root);
  Walk w;
  w.dev = st.st_dev;
  w.stop = stop;
  w.remove = remove;
  count(w, st);
  walk_dir(w, fd.get(), root, 0);
  if (stop && stop->load()) return make_error(root + ": walk stopped", ECANCELED);
  if (remove && rmdir(root.c_str()) != 0) note_errno(w, root);
  if (remove && !w.first_error.empty()) return make_error("not everything was removed: " + w.first_error, EBUSY);
  return w.size;
}

}  // namespace

void lower_own_priority() {
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, tid, 19);
  constexpr int kWhoProcess = 1, kClassIdle = 3, kClassShift = 13;
  (void)syscall(SYS_ioprio_set, kWhoProcess, static_cast<int>(tid), kClassIdle << kClassShift);
}

Result<TreeSize> measure_tree(const std::string& root, const std::atomic<bool>* stop) {
  return walk_root(root, false, stop);
}

Result<TreeSize> remove_tree(const std::string& root) {
  auto r = walk_root(root, true, nullptr);
  if (!r && r.error().code == ENOENT) return TreeSize{};
  return r;
}

DataUsage::DataUsage(std::string data_dir, int interval_ms)
    : data_dir_(std::move(data_dir)), interval_ms_(interval_ms), thread_(guarded_thread("data usage", [this] { run(); })) {}

DataUsage::~DataUsage() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::optional<DataUsage::Figure> DataUsage::of(const std::string& data_root) const {
  std::lock_guard lock(mu_);
  auto it = figures_.find(data_root);
  if (it == figures_.end()) return std::nullopt;
  return it->second;
}

void DataUsage::refresh() {
  {
    std::lock_guard lock(mu_);
    refresh_ = true;
  }
  wake_.notify_all();
}

void DataUsage::run() {
  lower_own_priority();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [&] { return stop_.load() || refresh_; });
      if (stop_) return;
      refresh_ = false;
    }
    std::vector<std::string> roots;
    if (DIR* d = opendir(data_dir_.c_str())) {
      while (dirent* e = readdir(d)) {  // NOLINT(concurrency-mt-unsafe): a DIR of this thread's own
        if (e->d_name[0] == '.') continue;
        struct stat st {};
        const std::string root = data_dir_ + "/" + e->d_name;
        // A link is a session bound to a warm pool member's data root: sized
        // under the session's name (the member's own name is left out).
        const bool link = e->d_type == DT_LNK || (e->d_type == DT_UNKNOWN && lstat(root.c_str(), &st) == 0 &&
                                                  S_ISLNK(st.st_mode));
        if (std::string(e->d_name).rfind("warm-", 0) == 0) continue;
        if (link || e->d_type == DT_DIR ||
            (e->d_type == DT_UNKNOWN && lstat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
          roots.push_back(root);
      }
      closedir(d);
    }
    std::map<std::string, Figure> found;
    for (const auto& root : roots) {
      auto size = measure_tree(resolved_data_root(root), &stop_);  // without the lock: this may take minutes
      if (stop_) return;
      if (size) found[root] = Figure{size->bytes, time(nullptr)};
    }
    std::lock_guard lock(mu_);
    figures_ = std::move(found);
  }
}

}  // namespace hydra::session
