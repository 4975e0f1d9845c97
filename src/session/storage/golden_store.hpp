// SPDX-License-Identifier: Apache-2.0
// session/storage: data roots and what they cost — goldens and clones
// (this file, storage/tree_clone.hpp, storage/reflink_tree.hpp with
// storage/entry_copy.hpp, storage/btrfs_subvolume.hpp), their sizes
// (storage/data_usage.hpp, its own background thread), disk pressure and
// garbage collection (storage/storage_policy.hpp pure, storage/storage_watch.hpp
// its own thread).
//
// Golden data roots: read-only copies of a session's data root that new
// sessions start from warm (their images, build cache and volumes already
// there). They live in data_dir/.goldens (the same filesystem as the data
// roots, so a clone can share extents): NAME/root is the data root,
// NAME/golden.json what it is. A golden is built as .tmp-NAME and renamed
// into place only when complete, so a crash never leaves half of one; the
// next hydrad removes what a crash left.
//
// Spares: a golden cloned by reflink keeps one clone of itself made ahead
// (NAME/spare, built as NAME/.tmp-spare by make_spare(), on the spares'
// thread: golden_spares.hpp), so a create from it takes the clone with a
// rename instead of waiting for 20,000 files to be made. A golden's root
// never changes, so a spare stays good until taken or the golden removed.
//
// THREADS: called from API threads (and from reconcile's and the warm
// pool's); a reflink clone runs on threads of its own, joined before it
// returns. LOCKS: `mu_`
// guards the table of goldens in use and is never held across I/O; a
// golden's build holds its name reserved.
#pragma once

#include <cstdint>
#include <functional>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/storage/tree_clone.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::session {

struct GoldenInfo {
  std::string name;
  std::string source;  // "type/id" of the session it was made from
  int64_t created_unix = 0;
  int64_t last_used_unix = 0;  // the last clone from it (created_unix before any)
  uint64_t bytes = 0;          // allocated, as du counts it, when it was made
  uint64_t files = 0;
  std::string method;  // how it was copied from the session
  int in_use = 0;      // sessions being created from it now
  // Random, made at its creation: a golden deleted and made again under its
  // name is another golden (a warm pool's clones of the first are stale).
  // "" for a golden made before hydra wrote one.
  std::string id;
  bool spare = false;  // a clone made ahead is ready
};

// Letters, digits, '.', '_' and '-', starting with a letter or digit, at
// most 64: a name that is also a safe path component.
Status validate_golden_name(const std::string& name);
// golden.json, both ways. A bad file is an error naming what is wrong.
std::string golden_json(const GoldenInfo& g);
// 16 hex digits from the kernel's random pool.
std::string new_golden_id();
Result<GoldenInfo> parse_golden_json(const std::string& text);
// Goldens unused (no clone, nor made) for `unused_s` at `now`; never one in use.
std::vector<std::string> unused_goldens(const std::vector<GoldenInfo>& goldens, int64_t unused_s, int64_t now);

class GoldenStore {
 public:
  GoldenStore(std::string data_dir, std::string cp, telemetry::EventLog& log);

  [[nodiscard]] const std::string& dir() const { return dir_; }
  // Removes what a crashed build or clone left (.tmp-*); reports it.
  void recover();
  [[nodiscard]] std::vector<GoldenInfo> list() const;
  [[nodiscard]] Result<GoldenInfo> get(const std::string& name) const;
  // How a clone of golden `name` would be made: a snapshot when it is a
  // btrfs subvolume, else what data_dir's filesystem can do.
  [[nodiscard]] CloneMethod clone_method(const std::string& name) const;

  // Copies `source_root` (a stopped session's data root) into a new golden.
  // EEXIST when the name is taken (or being built).
  Result<GoldenInfo> create(const std::string& name, const std::string& source_label, const std::string& source_root);
  // EBUSY while a session is being created from it; ENOENT when absent. A
  // spare being made of it is stopped first.
  Result<uint64_t> remove(const std::string& name);

  // Makes golden `name`'s spare clone: true when made; false when there is
  // nothing to make (one is ready or being made, the golden is not cloned by
  // reflink, or it is being removed or stop_spares() stopped it).
  Result<bool> make_spare(const std::string& name);
  // Stops a spare being made, and any after it (hydrad's exit).
  void stop_spares();

  // Clones golden `name` to `target` (absent; built as target.tmp and
  // renamed). `progress(done, total)` is called about every second.
  struct Cloned {
    std::string method;
    int64_t took_us = 0;
    uint64_t bytes = 0;
    bool spare = false;  // the spare made ahead was taken
  };
  Result<Cloned> clone_to(const std::string& name, const std::string& target,
                          const std::function<void(uint64_t done, uint64_t total)>& progress);

 private:
  [[nodiscard]] std::string path_of(const std::string& name) const { return dir_ + "/" + name; }
  [[nodiscard]] std::string spare_of(const std::string& name) const { return path_of(name) + "/spare"; }
  Status touch(const std::string& name, int64_t now);

  const std::string data_dir_;
  const std::string dir_;
  const std::string cp_;
  telemetry::EventLog& log_;
  mutable std::mutex mu_;
  std::map<std::string, int> in_use_;  // name → clones running from it
  std::set<std::string> building_;
  std::set<std::string> removing_;
  // Spares being made, each with its stop flag; spare_done_ is notified
  // (under mu_) when one ends.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> spare_builds_;
  std::condition_variable spare_done_;
  bool spares_stopped_ = false;  // stop_spares() was called: no more are made
};

}  // namespace hydra::session
