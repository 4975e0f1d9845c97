// SPDX-License-Identifier: Apache-2.0
// What a copy of a tree must keep, per path: type, mode, owner, size,
// mtime, content, device numbers, symlink target, xattrs, and which paths
// share an inode (named by the group's smallest path, so the order a
// directory lists in does not matter). For tests of goldens and clones.
#pragma once

#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace hydra::test {

// `dir_times`: directories' mtimes too (a copy of a data root dockerd has
// not touched since keeps them).
inline std::map<std::string, std::string> tree_manifest(const std::string& root, bool dir_times = false) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> group_name;
  std::error_code ec;
  std::vector<std::pair<std::string, struct stat>> entries;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    const std::string rel = it->path().string().substr(root.size());
    entries.emplace_back(rel, st);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [at, fresh] = group_name.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
      if (!fresh && rel < at->second) at->second = rel;
    }
  }
  for (const auto& [rel, st] : entries) {
    const std::string path = root + rel;
    std::ostringstream m;
    m << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " " << st.st_size;
    if (!S_ISDIR(st.st_mode) || dir_times) m << " mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) m << " rdev " << st.st_rdev;
    if (S_ISLNK(st.st_mode)) m << " -> " << fs::read_symlink(path, ec).string();
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(path, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      m << " content " << std::hash<std::string>{}(data) << " blocks>0 " << (st.st_blocks > 0);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
      m << " links " << st.st_nlink << " same-as " << group_name[{st.st_dev, st.st_ino}];
    char names[4096];
    ssize_t n = llistxattr(path.c_str(), names, sizeof names);
    for (ssize_t at = 0; n > 0 && at < n; at += static_cast<ssize_t>(strlen(names + at)) + 1) {
      char value[4096];
      ssize_t len = lgetxattr(path.c_str(), names + at, value, sizeof value);
      m << " xattr " << (names + at) << "=" << std::string(value, len > 0 ? static_cast<size_t>(len) : 0);
    }
    out[rel] = m.str();
  }
  return out;
}

// The first path whose manifest line differs ("" when none does).
inline std::string first_difference(const std::map<std::string, std::string>& a,
                                    const std::map<std::string, std::string>& b) {
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) return k + ": missing in the copy";
    if (it->second != v) return k + ": " + v + " vs " + it->second;
  }
  for (const auto& [k, _] : b)
    if (!a.count(k)) return k + ": only in the copy";
  return "";
}

}  // namespace hydra::test
