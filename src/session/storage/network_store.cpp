// SPDX-License-Identifier: Apache-2.0
#include "session/storage/network_store.hpp"

#include <unistd.h>

#include <cerrno>

namespace hydra::session {

std::string network_store_path(const std::string& data_root) { return data_root + "/network/files/local-kv.db"; }

Status drop_network_store(const std::string& data_root) {
  const std::string path = network_store_path(data_root);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove " + path);
  return {};
}

const char* clone_networks_note(bool shared) {
  return shared ? "dropped: network = \"shared\"" : "kept";
}

}  // namespace hydra::session
