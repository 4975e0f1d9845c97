// SPDX-License-Identifier: Apache-2.0
// The REST API's routes: path and method → answer.
#pragma once

#include "api/event_stream.hpp"
#include "api/http_server.hpp"
#include "session/storage/data_usage.hpp"
#include "session/manager/session_manager.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/status_board.hpp"

namespace hydra::api {

struct ApiContext {
  const telemetry::StatusBoard& board;
  session::SessionManager& sessions;
  session::DataUsage& usage;
  telemetry::Metrics& metrics;
  EventStream& events;
  std::string version;
};

HttpResponse route(ApiContext& ctx, const HttpRequest& req);

// errno of a failed operation → HTTP status (EINVAL 400, EPERM 403,
// ENOENT 404, EBUSY/EEXIST 409, ENOSPC 507, ENOTSUP 503, EAGAIN 503 with
// Retry-After, anything else 500).
int status_for(const Error& e);
// A JSON answer, and a failed operation's answer (status_for, its text).
HttpResponse json_response(int status, const nlohmann::json& j);
HttpResponse error_for(const Error& e);

}  // namespace hydra::api
