// SPDX-License-Identifier: Apache-2.0
#include "api/golden_routes.hpp"

#include "api/schema.hpp"
#include "base/clock.hpp"

namespace hydra::api {

namespace {

GoldenEntry entry_of(const session::GoldenInfo& g, const std::vector<session::SessionView>& sessions) {
  GoldenEntry e{g.name, g.source, rfc3339(g.created_unix), rfc3339(g.last_used_unix), g.method,
                static_cast<int64_t>(g.bytes), static_cast<int64_t>(g.files), g.in_use, {}, g.id, g.spare};
  for (const auto& v : sessions)
    if (v.golden == g.name) e.sessions.push_back(v.key.text());
  return e;
}

}  // namespace

HttpResponse create_golden(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_golden_request(req.body);
  if (!body) return error_response(400, body.error().message);
  auto from = session::parse_session_ref(body->from);
  if (!from) return error_response(400, "from: " + from.error().message);
  auto g = ctx.sessions.create_golden(body->name, *from);
  if (!g) return error_for(g.error());
  return json_response(201, to_json(entry_of(*g, ctx.sessions.list())));
}

HttpResponse list_goldens(ApiContext& ctx) {
  const auto sessions = ctx.sessions.list();
  json out = json::array();
  for (const auto& g : ctx.sessions.goldens().list()) out.push_back(to_json(entry_of(g, sessions)));
  return json_response(200, json{{"goldens", std::move(out)}});
}

HttpResponse get_golden(ApiContext& ctx, const std::string& name) {
  auto g = ctx.sessions.goldens().get(name);
  if (!g) return error_for(g.error());
  return json_response(200, to_json(entry_of(*g, ctx.sessions.list())));
}

HttpResponse delete_golden(ApiContext& ctx, const std::string& name) {
  auto bytes = ctx.sessions.remove_golden(name);
  if (!bytes) return error_for(bytes.error());
  return json_response(200, json{{"name", name}, {"bytes_freed", *bytes}});
}

}  // namespace hydra::api
