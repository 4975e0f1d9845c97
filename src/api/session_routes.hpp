// SPDX-License-Identifier: Apache-2.0
// Handlers of the session endpoints (Hydra-compatible paths).
#pragma once

#include "api/routes.hpp"
#include "api/schema.hpp"
#include "session/manager/session_manager.hpp"

namespace hydra::api {

HttpResponse create_instance(ApiContext& ctx, const HttpRequest& req);
HttpResponse list_instances(ApiContext& ctx);
HttpResponse inspect_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse delete_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse purge_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse gc_reconcile(ApiContext& ctx, const HttpRequest& req);
HttpResponse privileged_mode(ApiContext& ctx);
HttpResponse bridge_desktop(ApiContext& ctx, const HttpRequest& req);
HttpResponse unbridge_desktop(ApiContext& ctx, const HttpRequest& req);
HttpResponse unbridge_desktop_key(ApiContext& ctx, const std::string& type, const std::string& id);

// A session as the wire shows it, with the last size of its data root.
DockerInstance instance_of(const session::SessionView& v, std::optional<session::DataUsage::Figure> size);

}  // namespace hydra::api
