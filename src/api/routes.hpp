// The REST API's routes: path and method → answer.
#pragma once

#include "api/http_server.hpp"
#include "guard/status_board.hpp"

namespace hydra::api {

struct ApiContext {
  const guard::StatusBoard& board;
  std::string version;
};

HttpResponse route(const ApiContext& ctx, const HttpRequest& req);

}  // namespace hydra::api
