// SPDX-License-Identifier: Apache-2.0
#include "session/storage/golden_store.hpp"

#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/json_fields.hpp"
#include "base/state_file.hpp"
#include "session/storage/btrfs_subvolume.hpp"
#include "session/storage/data_usage.hpp"
#include "session/core/run_files.hpp"

namespace hydra::session {

namespace {

constexpr const char* kTmpPrefix = ".tmp-";

// A golden's directory (or its temporary): its root may be a read-only
// subvolume, which only the subvolume ioctl deletes.
Result<TreeSize> remove_golden_dir(const std::string& path) {
  TreeSize freed;
  if (const std::string root = path + "/root"; is_subvolume(root)) {
    auto r = remove_data_tree(root);
    if (!r) return r.error();
    freed = *r;
  }
  auto rest = remove_tree(path);
  if (!rest) return rest.error();
  freed.bytes += rest->bytes;
  freed.entries += rest->entries;
  return freed;
}

// Released when the clone ends, however it ends.
class UseGuard {
 public:
  UseGuard(std::mutex& mu, std::map<std::string, int>& table, std::string name)
      : mu_(mu), table_(table), name_(std::move(name)) {}
  ~UseGuard() {
    std::lock_guard lock(mu_);
    if (--table_[name_] <= 0) table_.erase(name_);
  }
  UseGuard(const UseGuard&) = delete;
  UseGuard& operator=(const UseGuard&) = delete;

 private:
  std::mutex& mu_;
  std::map<std::string, int>& table_;
  std::string name_;
};

}  // namespace

Status validate_golden_name(const std::string& name) {
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 64 || !ok(name[0]) ||
      !std::all_of(name.begin(), name.end(), [&](char c) { return ok(c) || c == '.' || c == '_' || c == '-'; }))
    return make_error("bad golden name \"" + name +
                          "\": 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                      EINVAL);
  return {};
}

std::string new_golden_id() {
  uint8_t bytes[8] = {};
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    // Never short for 8 bytes once the pool is ready; the clock is a fallback.
    const int64_t now = monotonic_us() ^ static_cast<int64_t>(time(nullptr)) << 20;
    std::memcpy(bytes, &now, sizeof bytes);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (uint8_t b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

std::string golden_json(const GoldenInfo& g) {
  nlohmann::json j{{"name", g.name}, {"id", g.id}, {"source", g.source}, {"created_unix", g.created_unix},
                   {"last_used_unix", g.last_used_unix}, {"bytes", g.bytes},   {"files", g.files},
                   {"method", g.method}};
  return j.dump(2) + "\n";
}

Result<GoldenInfo> parse_golden_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return make_error("golden.json is not a JSON object", EINVAL);
  GoldenInfo g;
  using json_fields::read;
  if (auto st = json_fields::first_error({read(j, "name", g.name, true), read(j, "source", g.source),
                                          read(j, "created_unix", g.created_unix, true), read(j, "bytes", g.bytes),
                                          read(j, "files", g.files), read(j, "method", g.method), read(j, "id", g.id)});
      !st)
    return make_error("golden.json: " + st.error().message, EINVAL);
  g.last_used_unix = g.created_unix;
  if (auto st = read(j, "last_used_unix", g.last_used_unix); !st) return make_error("golden.json: " + st.error().message, EINVAL);
  if (auto st = validate_golden_name(g.name); !st) return st.error();
  return g;
}

std::vector<std::string> unused_goldens(const std::vector<GoldenInfo>& goldens, int64_t unused_s, int64_t now) {
  std::vector<std::string> out;
  if (unused_s <= 0) return out;
  for (const auto& g : goldens)
    if (g.in_use == 0 && now - std::max(g.last_used_unix, g.created_unix) > unused_s) out.push_back(g.name);
  return out;
}

GoldenStore::GoldenStore(std::string data_dir, std::string cp, telemetry::EventLog& log)
    : data_dir_(std::move(data_dir)), dir_(data_dir_ + "/.goldens"), cp_(std::move(cp)), log_(log) {}

void GoldenStore::recover() {
  if (auto names = directory_entries(dir_))
    for (const auto& name : *names) {
      const std::string tmp = path_of(name) + "/.tmp-spare";
      if (!validate_golden_name(name) || access(tmp.c_str(), F_OK) != 0) continue;
      auto removed = remove_data_tree(tmp);
      log_.emit("golden_partial_removed", {{"path", tmp},
                                           {"bytes", removed ? removed->bytes : 0},
                                           {"error", removed ? "" : removed.error().text()},
                                           {"reason", "a spare clone was being made when hydrad stopped"}});
    }
  for (const std::string& d : {dir_, data_dir_}) {
    auto names = directory_entries(d);
    if (!names) continue;  // not made yet
    for (const auto& name : *names) {
      if (name.rfind(kTmpPrefix, 0) != 0) continue;
      std::string path = d;
      path.append("/").append(name);
      auto removed = d == dir_ ? remove_golden_dir(path) : remove_data_tree(path);
      log_.emit("golden_partial_removed",
                {{"path", path},
                 {"bytes", removed ? removed->bytes : 0},
                 {"error", removed ? "" : removed.error().text()},
                 {"reason", "a golden or clone was being built when hydrad stopped"}});
    }
  }
}

std::vector<GoldenInfo> GoldenStore::list() const {
  std::vector<GoldenInfo> out;
  auto names = directory_entries(dir_);
  if (!names) return out;  // none made yet
  for (const auto& n : *names)
    if (validate_golden_name(n))  // not .tmp-*
      if (auto g = get(n)) out.push_back(*g);
  return out;
}

Result<GoldenInfo> GoldenStore::get(const std::string& name) const {
  if (auto st = validate_golden_name(name); !st) return st.error();
  auto text = read_state_file(path_of(name) + "/golden.json");
  if (!text) return text.error();
  if (!*text) return make_error("no golden named " + name, ENOENT);
  auto g = parse_golden_json(**text);
  if (!g) return make_error(path_of(name) + "/" + g.error().text(), g.error().code);
  g->spare = access(spare_of(name).c_str(), F_OK) == 0;
  std::lock_guard lock(mu_);
  if (auto it = in_use_.find(name); it != in_use_.end()) g->in_use = it->second;
  return g;
}

Result<GoldenInfo> GoldenStore::create(const std::string& name, const std::string& source_label,
                                       const std::string& source_root) {
  if (auto st = validate_golden_name(name); !st) return st.error();
  {
    std::lock_guard lock(mu_);
    if (building_.count(name)) return make_error("golden " + name + " is being built", EEXIST);
    building_.insert(name);
  }
  struct Unreserve {
    GoldenStore& s;
    std::string n;
    ~Unreserve() {
      std::lock_guard lock(s.mu_);
      s.building_.erase(n);
    }
  } unreserve{*this, name};
  if (access(path_of(name).c_str(), F_OK) == 0) return make_error("golden " + name + " exists", EEXIST);
  struct stat st {};
  if (stat(source_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(source_label + " has no data root to make a golden from (" + source_root + ")", ENOENT);
  // dockerd's btrfs driver keeps each layer as a subvolume and snapshots
  // them; a copy would make them plain directories it cannot snapshot.
  if (stat((source_root + "/btrfs").c_str(), &st) == 0)
    return make_error(source_label + "'s data root was made with dockerd's btrfs storage driver, whose layers are "
                                     "subvolumes a golden cannot copy: make it from a session started with "
                                     "storage driver overlay2 (new sessions on btrfs get it unless [sessions] "
                                     "storage_driver says otherwise)",
                      EINVAL);
  if (auto s = make_dirs(dir_, 0700); !s) return s.error();
  const std::string tmp = dir_ + "/" + kTmpPrefix + name;
  (void)remove_golden_dir(tmp);
  if (::mkdir(tmp.c_str(), 0700) != 0) return errno_error("create " + tmp);
  const CloneMethod method = is_subvolume(source_root) ? CloneMethod::kSnapshot : clone_method_for(tmp);
  auto total = measure_tree(source_root);
  const int64_t t0 = monotonic_us();
  log_.emit("golden_building", {{"golden", name}, {"source", source_label}, {"method", clone_method_name(method)},
                                {"bytes", total ? total->bytes : 0}});
  CloneSettings cs;
  cs.method = method;
  cs.cp = cp_;
  cs.log = tmp + ".log";
  cs.progress = [&](uint64_t done) {
    log_.emit("golden_progress", {{"golden", name}, {"bytes_done", done}, {"bytes_total", total ? total->bytes : 0}});
  };
  auto fail = [&](const Error& e) -> Error {
    (void)remove_golden_dir(tmp);
    ::unlink(cs.log.c_str());
    log_.emit("golden_failed", {{"golden", name}, {"source", source_label}, {"error", e.text()}});
    return e;
  };
  if (method == CloneMethod::kSnapshot) {
    if (auto s = snapshot_subvolume(source_root, tmp + "/root", true); !s) return fail(s.error());
  } else {
    if (auto s = clone_tree(source_root, tmp + "/root", cs); !s) return fail(s.error());
    ::unlink(cs.log.c_str());
    // Read-only as a whole: nothing should write into a golden (a snapshot is).
    if (::chmod((tmp + "/root").c_str(), 0500) != 0) return fail(errno_error("chmod " + tmp + "/root"));
  }
  auto size = measure_tree(tmp + "/root");
  if (!size) return fail(size.error());
  GoldenInfo g;
  g.name = name;
  g.id = new_golden_id();
  g.source = source_label;
  g.created_unix = time(nullptr);
  g.last_used_unix = g.created_unix;
  g.bytes = size->bytes;
  g.files = size->entries;
  g.method = clone_method_name(method);
  if (auto s = write_state_file(tmp + "/golden.json", golden_json(g), 0644); !s) return fail(s.error());
  if (::rename(tmp.c_str(), path_of(name).c_str()) != 0) return fail(errno_error("rename " + tmp));
  sync_directory(dir_);
  log_.emit("golden_created", {{"golden", name}, {"source", source_label}, {"method", g.method}, {"bytes", g.bytes},
                               {"files", g.files}, {"took_us", monotonic_us() - t0}});
  return g;
}

Result<uint64_t> GoldenStore::remove(const std::string& name) {
  if (auto st = validate_golden_name(name); !st) return st.error();
  {
    std::unique_lock lock(mu_);
    if (in_use_.count(name))
      return make_error("golden " + name + " is in use: a session is being created from it", EBUSY);
    if (removing_.count(name)) return make_error("golden " + name + " is being removed", EBUSY);
    removing_.insert(name);
    // A spare being made of it stops (within a file) and is gone before
    // the golden is moved: nothing writes into what is being removed.
    if (auto it = spare_builds_.find(name); it != spare_builds_.end()) it->second->store(true);
    spare_done_.wait(lock, [&] { return spare_builds_.count(name) == 0; });
  }
  if (access(path_of(name).c_str(), F_OK) != 0) {
    std::lock_guard lock(mu_);
    removing_.erase(name);
    return make_error("no golden named " + name, ENOENT);
  }
  // Renamed aside first: from here no clone can start from it, and a crash
  // mid-delete leaves a .tmp- the next hydrad removes.
  const std::string aside = dir_ + "/" + kTmpPrefix + "rm-" + name;
  Result<TreeSize> removed = make_error("rename", EIO);
  if (::rename(path_of(name).c_str(), aside.c_str()) != 0) {
    removed = errno_error("rename " + path_of(name));
  } else {
    removed = remove_golden_dir(aside);
  }
  std::lock_guard lock(mu_);
  removing_.erase(name);
  if (!removed) return removed.error();
  log_.emit("golden_removed", {{"golden", name}, {"bytes", removed->bytes}});
  return removed->bytes;
}

CloneMethod GoldenStore::clone_method(const std::string& name) const {
  return is_subvolume(path_of(name) + "/root") ? CloneMethod::kSnapshot : clone_method_for(data_dir_);
}

Status GoldenStore::touch(const std::string& name, int64_t now) {
  auto g = get(name);
  if (!g) return g.error();
  g->last_used_unix = now;
  return write_state_file(path_of(name) + "/golden.json", golden_json(*g), 0644);
}

Result<GoldenStore::Cloned> GoldenStore::clone_to(const std::string& name, const std::string& target,
                                                  const std::function<void(uint64_t, uint64_t)>& progress) {
  if (auto st = validate_golden_name(name); !st) return st.error();
  {
    std::lock_guard lock(mu_);
    if (removing_.count(name)) return make_error("no golden named " + name + " (being removed)", ENOENT);
    ++in_use_[name];
  }
  UseGuard use(mu_, in_use_, name);
  auto g = get(name);
  if (!g) return g.error();
  const auto slash = target.rfind('/');
  const std::string tmp = target.substr(0, slash + 1) + kTmpPrefix + target.substr(slash + 1);
  (void)remove_data_tree(tmp);
  const CloneMethod method = clone_method(name);
  const int64_t t0 = monotonic_us();
  CloneSettings cs;
  cs.method = method;
  cs.cp = cp_;
  cs.log = tmp + ".log";
  cs.progress = [&](uint64_t done) {
    if (progress) progress(done, g->bytes);
  };
  auto fail = [&](const Error& e) -> Error {
    (void)remove_data_tree(tmp);
    ::unlink(cs.log.c_str());
    return make_error("clone of golden " + name + ": " + e.text(), e.code);
  };
  // The spare made ahead, when there is one: a rename. Two creates at once
  // cannot both have it; the other clones.
  const bool took_spare = method == CloneMethod::kReflink && ::rename(spare_of(name).c_str(), tmp.c_str()) == 0;
  if (took_spare) {
    // nothing more to copy
  } else if (method == CloneMethod::kSnapshot) {
    if (auto s = snapshot_subvolume(path_of(name) + "/root", tmp, false); !s) return fail(s.error());
  } else {
    if (auto s = clone_tree(path_of(name) + "/root", tmp, cs); !s) return fail(s.error());
    ::unlink(cs.log.c_str());
  }
  // The golden's root is read-only; the session's is dockerd's (0710 as a fresh one).
  if (::chmod(tmp.c_str(), 0710) != 0) return fail(errno_error("chmod " + tmp));
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail(errno_error("rename " + tmp));
  sync_directory(target.substr(0, slash));
  if (auto s = touch(name, time(nullptr)); !s)
    log_.emit("golden_failed", {{"golden", name}, {"error", "last use not recorded: " + s.error().text()}});
  return Cloned{clone_method_name(method), monotonic_us() - t0, g->bytes, took_spare};
}

Result<bool> GoldenStore::make_spare(const std::string& name) {
  if (auto st = validate_golden_name(name); !st) return st.error();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(mu_);
    if (spares_stopped_ || removing_.count(name) || building_.count(name) || spare_builds_.count(name)) return false;
    spare_builds_[name] = stop;
  }
  struct Ended {
    GoldenStore& s;
    std::string n;
    ~Ended() {
      {
        std::lock_guard lock(s.mu_);
        s.spare_builds_.erase(n);
      }
      s.spare_done_.notify_all();
    }
  } ended{*this, name};
  if (access((path_of(name) + "/golden.json").c_str(), F_OK) != 0) return false;  // gone meanwhile
  if (access(spare_of(name).c_str(), F_OK) == 0 || clone_method(name) != CloneMethod::kReflink) return false;
  const std::string tmp = path_of(name) + "/.tmp-spare";
  (void)remove_data_tree(tmp);
  CloneSettings cs;
  cs.method = CloneMethod::kReflink;
  cs.cp = cp_;
  cs.stop = stop.get();
  if (auto s = clone_tree(path_of(name) + "/root", tmp, cs); !s) {
    (void)remove_data_tree(tmp);
    if (stop->load()) return false;
    return make_error("spare clone of golden " + name + ": " + s.error().text(), s.error().code);
  }
  if (::rename(tmp.c_str(), spare_of(name).c_str()) != 0) {
    Error e = errno_error("rename " + tmp);
    (void)remove_data_tree(tmp);
    return e;
  }
  return true;
}

void GoldenStore::stop_spares() {
  std::lock_guard lock(mu_);
  spares_stopped_ = true;  // a spare about to start is not started
  for (auto& [_, stop] : spare_builds_) stop->store(true);
}

}  // namespace hydra::session
