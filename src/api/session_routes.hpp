// Handlers of the session endpoints (Hydra-compatible paths).
#pragma once

#include <map>

#include "api/routes.hpp"

namespace hydra::api {

HttpResponse create_instance(ApiContext& ctx, const HttpRequest& req);
HttpResponse list_instances(ApiContext& ctx);
HttpResponse inspect_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse delete_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse purge_instance(ApiContext& ctx, const std::string& type, const std::string& id);
HttpResponse bridge_desktop(ApiContext& ctx, const HttpRequest& req);
HttpResponse unbridge_desktop(ApiContext& ctx, const HttpRequest& req);
HttpResponse unbridge_desktop_key(ApiContext& ctx, const std::string& type, const std::string& id);

// Decodes a JSON object body holding only `allowed` string fields, all of
// `required` present. Pure, for the fuzzer too.
Result<std::map<std::string, std::string>> decode_body(const std::string& body,
                                                       const std::vector<std::string>& required,
                                                       const std::vector<std::string>& optional);

}  // namespace hydra::api
