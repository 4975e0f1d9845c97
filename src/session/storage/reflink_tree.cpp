// SPDX-License-Identifier: Apache-2.0
#include "session/storage/reflink_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "base/unique_fd.hpp"
#include "base/whole_file.hpp"
#include "session/storage/entry_copy.hpp"

namespace hydra::session {

EntrySteps entry_steps(mode_t mode, uid_t uid, gid_t gid, uid_t my_uid, gid_t my_gid, mode_t umask) {
  EntrySteps s;
  s.chown = uid != my_uid || gid != my_gid;
  s.chmod = (mode & 0777 & umask) != 0 || (mode & (S_ISUID | S_ISGID)) != 0;
  return s;
}

std::optional<mode_t> umask_from_status(const std::string& status) {
  const auto at = status.find("\nUmask:");
  if (at == std::string::npos) return std::nullopt;
  mode_t m = 0;
  size_t i = at + 7;
  while (i < status.size() && (status[i] == ' ' || status[i] == '\t')) ++i;
  const size_t first = i;
  for (; i < status.size() && status[i] >= '0' && status[i] <= '7'; ++i) m = m * 8 + static_cast<mode_t>(status[i] - '0');
  if (i == first || m > 0777) return std::nullopt;
  return m;
}

int reflink_threads(int requested, unsigned cpus) {
  const int n = requested > 0 ? requested : static_cast<int>(cpus);
  return std::clamp(n, 2, 8);
}

namespace {

// A directory being filled: the source's and the copy's, open while any job
// of its entries is queued or running.
struct DirPair {
  std::string rel;  // "" for the root
  UniqueFd src, dst;
};

struct Entry {
  std::string name;
  unsigned char type = DT_UNKNOWN;
};

// A directory to list (dir null), or some of a listed directory's entries.
struct Job {
  std::string rel;
  std::shared_ptr<DirPair> dir;
  std::vector<Entry> entries;
};

struct DirAttrs {
  std::string rel;
  struct stat st {};
  Xattrs xattrs;
};

// The first of a hard-link group to be met is copied; the others wait for
// it and link to it.
struct LinkGroup {
  std::string first;  // relative to the roots
  bool done = false, ok = false;
};

std::string join(const std::string& rel, const std::string& name) { return rel.empty() ? name : rel + "/" + name; }

class TreeClone {
 public:
  TreeClone(std::string source, std::string target, mode_t umask, const std::atomic<bool>* stop)
      : source_(std::move(source)),
        target_(std::move(target)),
        umask_(umask),
        uid_(geteuid()),
        gid_(getegid()),
        stop_(stop) {}

  Status run(int threads, const std::function<void(uint64_t)>& progress) {
    if (::mkdir(target_.c_str(), 0700) != 0) return errno_error("create " + target_);
    src_root_.reset(::open(source_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src_root_.valid()) return errno_error("open " + source_);
    dst_root_.reset(::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst_root_.valid()) return errno_error("open " + target_);
    queue_.push_back(Job{});
    std::vector<std::thread> workers;
    workers.reserve(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) {
      {
        std::lock_guard lock(mu_);
        ++live_;
      }
      try {
        workers.emplace_back([this] { work(); });
      } catch (const std::system_error& e) {  // no thread to be had: fewer do it
        std::lock_guard lock(mu_);
        --live_;
        if (workers.empty()) return make_error(std::string("start a clone thread: ") + e.what(), EAGAIN);
        break;
      }
    }
    {
      std::unique_lock lock(mu_);
      while (!wake_.wait_for(lock, std::chrono::seconds(1), [&] { return live_ == 0; }))
        if (progress) {
          lock.unlock();
          progress(bytes_.load());
          lock.lock();
        }
    }
    for (auto& t : workers) t.join();
    if (failed_) return *failed_;
    // Each directory's own attributes last: filling it changed its times.
    for (const auto& d : dirs_)
      if (auto st = set_dir_attrs(d); !st) return st;
    return {};
  }

 private:
  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return !queue_.empty() || busy_ == 0 || failed_; });
        if (queue_.empty() || failed_) {
          --live_;
          wake_.notify_all();
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      Status st = stopped() ? make_error("clone of " + source_ + " stopped", ECANCELED)
                  : job.dir   ? copy_entries(job)
                              : list_dir(job.rel);
      {
        std::lock_guard lock(mu_);
        --busy_;
        if (!st && !failed_) failed_ = st.error();
      }
      wake_.notify_all();
    }
  }

  // Opens the pair, notes the directory's attributes, makes its
  // subdirectories and queues them, and queues its other entries in slices
  // (first: a directory's slices go before more directories are opened).
  Status list_dir(const std::string& rel) {
    auto dir = std::make_shared<DirPair>();
    dir->rel = rel;
    const char* at = rel.empty() ? "." : rel.c_str();
    dir->src.reset(::openat(src_root_.get(), at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir->src.valid()) return errno_error("open " + source_ + "/" + rel);
    dir->dst.reset(::openat(dst_root_.get(), at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir->dst.valid()) return errno_error("open " + target_ + "/" + rel);
    DirAttrs attrs;
    attrs.rel = rel;
    if (::fstat(dir->src.get(), &attrs.st) != 0) return errno_error("stat " + source_ + "/" + rel);
    auto x = read_xattrs(dir->src.get(), source_ + "/" + rel);
    if (!x) return x.error();
    attrs.xattrs = std::move(*x);

    std::vector<Entry> entries;
    std::vector<std::string> subdirs;
    alignas(8) char buf[32768];
    for (;;) {
      const ssize_t n = ::getdents64(dir->src.get(), buf, sizeof buf);
      if (n < 0) return errno_error("list " + source_ + "/" + rel);
      if (n == 0) break;
      for (ssize_t off = 0; off < n;) {
        const auto* d = reinterpret_cast<const dirent64*>(buf + off);  // NOLINT: the kernel's record layout
        off += d->d_reclen;
        const std::string name = d->d_name;
        if (name == "." || name == "..") continue;
        unsigned char type = d->d_type;
        if (type == DT_UNKNOWN) {
          struct stat st {};
          if (::fstatat(dir->src.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return errno_error("stat " + source_ + "/" + join(rel, name));
          type = S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
        }
        if (type == DT_DIR) {
          if (::mkdirat(dir->dst.get(), name.c_str(), 0700) != 0)
            return errno_error("create " + target_ + "/" + join(rel, name));
          subdirs.push_back(join(rel, name));
        } else {
          entries.push_back(Entry{name, type});
        }
      }
    }
    std::lock_guard lock(mu_);
    dirs_.push_back(std::move(attrs));
    for (size_t i = entries.size(); i > 0;) {
      const size_t from = i > kEntriesPerJob ? i - kEntriesPerJob : 0;
      Job j;
      j.dir = dir;
      j.entries.assign(std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(from)),
                       std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(i)));
      queue_.push_front(std::move(j));
      i = from;
    }
    for (auto& s : subdirs) queue_.push_back(Job{std::move(s), nullptr, {}});
    return {};
  }

  Status copy_entries(const Job& job) {
    for (const auto& e : job.entries) {
      {
        std::lock_guard lock(mu_);
        if (failed_) return {};
      }
      if (stopped()) return make_error("clone of " + source_ + " stopped", ECANCELED);
      if (auto st = copy_entry(*job.dir, e); !st) return st;
    }
    return {};
  }

  Status copy_entry(DirPair& dir, const Entry& e) {
    const char* name = e.name.c_str();
    const std::string rel = join(dir.rel, e.name);
    UniqueFd in;
    struct stat st {};
    if (e.type == DT_REG) {
      in.reset(::openat(dir.src.get(), name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
      if (!in.valid()) return errno_error("open " + source_ + "/" + rel);
      if (::fstat(in.get(), &st) != 0) return errno_error("stat " + source_ + "/" + rel);
    } else if (::fstatat(dir.src.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_error("stat " + source_ + "/" + rel);
    }
    if (S_ISREG(st.st_mode) && !in.valid()) {  // its type was not in the listing
      in.reset(::openat(dir.src.get(), name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
      if (!in.valid()) return errno_error("open " + source_ + "/" + rel);
    }
    if (st.st_nlink < 2) return make_entry(dir, rel, in, st);
    LinkGroup* group = nullptr;
    {
      std::unique_lock lock(mu_);
      auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino});
      group = &it->second;
      if (fresh) {
        group->first = rel;
      } else {
        links_done_.wait(lock, [&] { return group->done; });
        if (!group->ok) return {};  // its first copy failed and said why
        const std::string first = group->first;
        lock.unlock();
        if (::linkat(dst_root_.get(), first.c_str(), dir.dst.get(), name, 0) != 0)
          return errno_error("link " + target_ + "/" + rel + " to " + first);
        return {};
      }
    }
    Status made = make_entry(dir, rel, in, st);
    {
      std::lock_guard lock(mu_);
      group->done = true;
      group->ok = made.ok();
    }
    links_done_.notify_all();
    return made;
  }

  Status make_entry(DirPair& dir, const std::string& rel, const UniqueFd& in, const struct stat& st) {
    const std::string base = rel.substr(rel.rfind('/') + 1);
    const char* name = base.c_str();
    const EntrySteps steps = entry_steps(st.st_mode, st.st_uid, st.st_gid, uid_, gid_, umask_);
    const std::string to = target_ + "/" + rel;
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (S_ISREG(st.st_mode)) {
      UniqueFd out(::openat(dir.dst.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777));
      if (!out.valid()) return errno_error("create " + to);
      if (st.st_size > 0 && ::ioctl(out.get(), FICLONE, in.get()) != 0) {
        if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL && errno != ENOTTY)
          return errno_error("share the extents of " + source_ + "/" + rel + " with " + to);
        if (auto s = copy_file_data(in.get(), out.get(), st.st_size, to); !s) return s;
      }
      if (steps.chown && ::fchown(out.get(), st.st_uid, st.st_gid) != 0) return errno_error("chown " + to);
      auto x = read_xattrs(in.get(), source_ + "/" + rel);
      if (!x) return x.error();
      if (auto s = write_xattrs(out.get(), *x, to); !s) return s;
      if (steps.chmod && ::fchmod(out.get(), st.st_mode & 07777) != 0) return errno_error("chmod " + to);
      if (::futimens(out.get(), times) != 0) return errno_error("set times of " + to);
      bytes_ += static_cast<uint64_t>(st.st_blocks) * 512;
      return {};
    }
    if (S_ISLNK(st.st_mode)) {
      std::string link(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(dir.src.get(), name, link.data(), link.size());
      if (n < 0) return errno_error("read the link " + source_ + "/" + rel);
      if (static_cast<size_t>(n) >= link.size()) return make_error("the link " + source_ + "/" + rel + " changed while cloned", EAGAIN);
      link.resize(static_cast<size_t>(n));
      if (::symlinkat(link.c_str(), dir.dst.get(), name) != 0) return errno_error("create the link " + to);
    } else if (::mknodat(dir.dst.get(), name, st.st_mode, st.st_rdev) != 0) {
      return errno_error("create the node " + to);  // a whiteout, a fifo, a device
    }
    if (steps.chown && ::fchownat(dir.dst.get(), name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
      return errno_error("chown " + to);
    auto x = read_xattrs(source_ + "/" + rel);
    if (!x) return x.error();
    if (auto s = write_xattrs(to, *x); !s) return s;
    if (!S_ISLNK(st.st_mode) && steps.chmod && ::fchmodat(dir.dst.get(), name, st.st_mode & 07777, 0) != 0)
      return errno_error("chmod " + to);
    if (::utimensat(dir.dst.get(), name, times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("set times of " + to);
    return {};
  }

  Status set_dir_attrs(const DirAttrs& d) const {
    const std::string to = d.rel.empty() ? target_ : target_ + "/" + d.rel;
    if ((d.st.st_uid != uid_ || d.st.st_gid != gid_) && ::lchown(to.c_str(), d.st.st_uid, d.st.st_gid) != 0)
      return errno_error("chown " + to);
    if (auto s = write_xattrs(to, d.xattrs); !s) return s;
    if (::chmod(to.c_str(), d.st.st_mode & 07777) != 0) return errno_error("chmod " + to);
    const timespec times[2] = {d.st.st_atim, d.st.st_mtim};
    if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("set times of " + to);
    return {};
  }

  [[nodiscard]] bool stopped() const { return stop_ && stop_->load(); }

  const std::string source_, target_;
  const mode_t umask_;
  const uid_t uid_;
  const gid_t gid_;
  const std::atomic<bool>* stop_;
  UniqueFd src_root_, dst_root_;
  std::atomic<uint64_t> bytes_{0};

  std::mutex mu_;
  std::condition_variable wake_, links_done_;
  std::deque<Job> queue_;        // mu_
  int busy_ = 0, live_ = 0;      // mu_: jobs running; workers not yet ended
  std::optional<Error> failed_;  // mu_: the first error
  std::map<std::pair<dev_t, ino_t>, LinkGroup> links_;  // mu_
  std::vector<DirAttrs> dirs_;   // mu_ while workers run
};

}  // namespace

Status reflink_tree(const std::string& source, const std::string& target, const ReflinkOptions& options) {
  // The umask applies to what the workers create; read, not set (umask(2)
  // is the whole process's).
  mode_t umask = 0777;  // unknown: every mode set again
  if (auto status = read_whole_file("/proc/self/status"))
    if (auto m = umask_from_status(*status)) umask = *m;
  TreeClone clone(source, target, umask, options.stop);
  return clone.run(reflink_threads(options.threads, std::thread::hardware_concurrency()), options.progress);
}

}  // namespace hydra::session
