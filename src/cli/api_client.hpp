// Talks to hydrad over its unix control socket (libcurl).
#pragma once

#include <string>

#include "base/result.hpp"

namespace hydra::cli {

struct ApiReply {
  long status = 0;
  std::string body;
};

Result<ApiReply> api_request(const std::string& socket, const std::string& method, const std::string& path,
                             const std::string& body = "");

}  // namespace hydra::cli
