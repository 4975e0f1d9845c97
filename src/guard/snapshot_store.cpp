#include "guard/snapshot_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/unique_fd.hpp"

namespace hydra::guard {

std::string SnapshotStore::path_of(const std::string& bridge) const { return dir_ + "/bridge-" + bridge + ".json"; }

Status SnapshotStore::prepare() const {
  std::string partial;
  std::stringstream parts(dir_);
  std::string piece;
  if (!dir_.empty() && dir_[0] == '/') partial = "";
  while (std::getline(parts, piece, '/')) {
    if (piece.empty()) continue;
    partial += "/" + piece;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("create state directory " + partial);
  }
  return {};
}

Status SnapshotStore::save(const net::BridgeSnapshot& snap) const {
  std::string path = path_of(snap.name);
  std::string tmp = path + ".tmp";
  std::string text = net::snapshot_to_json(snap).dump(2) + "\n";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error("write snapshot " + tmp);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write snapshot " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return errno_error("fsync snapshot " + tmp);
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename snapshot to " + path);
  UniqueFd dirfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.valid()) fsync(dirfd.get());
  return {};
}

Result<std::optional<net::BridgeSnapshot>> SnapshotStore::load(const std::string& bridge) const {
  std::string path = path_of(bridge);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<net::BridgeSnapshot>();
    return errno_error("read snapshot " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return make_error("snapshot " + path + " is not valid JSON", EINVAL);
  auto snap = net::snapshot_from_json(j);
  if (!snap) return make_error("snapshot " + path + ": " + snap.error().message, EINVAL);
  if (snap->name != bridge) return make_error("snapshot " + path + " is of " + snap->name, EINVAL);
  return std::optional<net::BridgeSnapshot>(std::move(*snap));
}

}  // namespace hydra::guard
