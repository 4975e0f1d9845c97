#include "api/routes.hpp"

#include <nlohmann/json.hpp>
#include <regex>

#include "api/session_routes.hpp"
#include "session/session_manager.hpp"

namespace hydra::api {

using nlohmann::json;

int status_for(const Error& e) {
  switch (e.code) {
    case EINVAL: return 400;
    case ENOENT: return 404;
    case EBUSY:
    case ENOSPC:
    case EEXIST: return 409;
    default: return 500;
  }
}

namespace {

HttpResponse health(const ApiContext& ctx) {
  json bridges = ctx.board.bridges();
  size_t guarded = 0;
  for (const auto& b : bridges) guarded += b["state"] == "guarded";
  return {200, json{{"status", ctx.board.ready() ? "ok" : "starting"},
                    {"version", ctx.version},
                    {"bridges", bridges.size()},
                    {"guarded", guarded},
                    {"sessions_running", ctx.sessions.running()}}
                   .dump() + "\n"};
}

// One JSON line per event, as they happen, until the client leaves. A
// newline every 15 s of silence lets a vanished client be noticed.
HttpResponse event_stream(ApiContext& ctx) {
  auto sub = ctx.events.subscribe();
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  r.stream = [sub]() -> std::string {
    std::unique_lock lock(sub->mu);
    if (!sub->ready.wait_for(lock, std::chrono::seconds(15), [&] { return !sub->lines.empty() || sub->overflowed; }))
      return "\n";
    if (sub->lines.empty()) return "";  // overflowed: this client is too slow; end its stream
    std::string out;
    while (!sub->lines.empty()) {
      out += sub->lines.front();
      sub->lines.pop_front();
    }
    return out;
  };
  return r;
}

}  // namespace

HttpResponse route(ApiContext& ctx, const HttpRequest& req) {
  // Paths and the methods they take; a known path with another method is 405.
  struct Route {
    std::regex path;
    std::string method;
    std::function<HttpResponse(const std::smatch&)> handle;
  };
  static const std::string kKey = "([^/]+)/([^/]+)";
  const std::vector<Route> routes = {
      {std::regex("/health"), "GET", [&](const std::smatch&) { return health(ctx); }},
      {std::regex("/metrics"), "GET",
       [&](const std::smatch&) {
         return HttpResponse{200, ctx.metrics.text(), "text/plain; version=0.0.4; charset=utf-8"};
       }},
      {std::regex("/api/v1/events"), "GET", [&](const std::smatch&) { return event_stream(ctx); }},
      {std::regex("/api/v1/bridges"), "GET",
       [&](const std::smatch&) { return HttpResponse{200, ctx.board.bridges().dump() + "\n"}; }},
      {std::regex("/api/v1/docker-instances"), "POST", [&](const std::smatch&) { return create_instance(ctx, req); }},
      {std::regex("/api/v1/docker-instances"), "GET", [&](const std::smatch&) { return list_instances(ctx); }},
      {std::regex("/api/v1/docker-instances/" + kKey), "GET",
       [&](const std::smatch& m) { return inspect_instance(ctx, m[1], m[2]); }},
      {std::regex("/api/v1/docker-instances/" + kKey), "DELETE",
       [&](const std::smatch& m) { return delete_instance(ctx, m[1], m[2]); }},
      {std::regex("/api/v1/docker-instances/" + kKey + "/data"), "DELETE",
       [&](const std::smatch& m) { return purge_instance(ctx, m[1], m[2]); }},
      {std::regex("/api/v1/bridge-desktop"), "POST", [&](const std::smatch&) { return bridge_desktop(ctx, req); }},
      {std::regex("/api/v1/bridge-desktop"), "DELETE", [&](const std::smatch&) { return unbridge_desktop(ctx, req); }},
      {std::regex("/api/v1/bridge-desktop/" + kKey), "DELETE",
       [&](const std::smatch& m) { return unbridge_desktop_key(ctx, m[1], m[2]); }},
  };
  bool path_known = false;
  for (const auto& r : routes) {
    std::smatch m;
    if (!std::regex_match(req.path, m, r.path)) continue;
    path_known = true;
    if (r.method == req.method) return r.handle(m);
  }
  if (path_known) return error_response(405, req.method + " is not allowed on " + req.path);
  return error_response(404, "no such endpoint: " + req.path);
}

}  // namespace hydra::api
