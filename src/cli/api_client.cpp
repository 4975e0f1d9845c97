// SPDX-License-Identifier: Apache-2.0
#include "cli/api_client.hpp"

namespace hydra::cli {

Result<ApiReply> api_request(const std::string& socket, const std::string& method, const std::string& path,
                             const std::string& body) {
  // A session start can take a minute; so may a stop (30 s per container).
  auto r = docker::unix_http(socket, method, path, body, 180);
  if (!r) return make_error("cannot reach hydrad at " + socket + ": " + r.error().message + " (is hydrad running?)",
                            r.error().code);
  return r;
}

}  // namespace hydra::cli
