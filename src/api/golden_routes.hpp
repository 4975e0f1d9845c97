// SPDX-License-Identifier: Apache-2.0
// Handlers of /api/v1/goldens (hydra's own): golden data roots new sessions
// start from warm.
#pragma once

#include "api/routes.hpp"

namespace hydra::api {

HttpResponse create_golden(ApiContext& ctx, const HttpRequest& req);
HttpResponse list_goldens(ApiContext& ctx);
HttpResponse get_golden(ApiContext& ctx, const std::string& name);
HttpResponse delete_golden(ApiContext& ctx, const std::string& name);

}  // namespace hydra::api
