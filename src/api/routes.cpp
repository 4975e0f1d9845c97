// SPDX-License-Identifier: Apache-2.0
#include "api/routes.hpp"

#include <regex>

#include "api/golden_routes.hpp"
#include "api/schema.hpp"
#include "api/session_routes.hpp"

namespace hydra::api {

int status_for(const Error& e) {
  switch (e.code) {
    case EINVAL: return 400;
    case EPERM: return 403;
    case ENOENT: return 404;
    case ENOTSUP:
    case EAGAIN: return 503;
    case ENOSPC: return 507;
    case session::kLimitUnavailable: return 422;  // a limit this sandbox cannot enforce
    case EBUSY:
    case EEXIST: return 409;
    default: return 500;
  }
}

HttpResponse json_response(int status, const nlohmann::json& j) { return {status, j.dump() + "\n"}; }
HttpResponse error_for(const Error& e) {
  HttpResponse r = error_response(status_for(e), e.text());
  // A session still being recovered after hydrad's restart: soon adopted.
  if (e.code == EAGAIN) r.headers.emplace_back("Retry-After", "1");
  return r;
}

namespace {

// Never waits for a dockerd: the board and the session counts are in memory.
HttpResponse health(const ApiContext& ctx) {
  auto bridges = ctx.board.bridges();
  Health h;
  h.status = ctx.board.ready() ? "ok" : "starting";
  h.version = ctx.version;
  h.bridges = bridges.size();
  for (const auto& b : bridges) h.guarded += b.state == "guarded";
  auto counts = ctx.sessions.counts();
  h.active_instances = counts.running;
  h.sessions_unresponsive = counts.unresponsive;
  const auto containerd = ctx.sessions.containerd_status();
  h.containerd_mode = containerd.configured ? "shared" : "per-session";
  h.containerd_running = containerd.running;
  h.containerd_pid = containerd.pid;
  h.containerd_restarts = containerd.restarts;
  h.containerd_error = containerd.error;
  const auto pool = ctx.sessions.pool_counts();
  h.pool_target = pool.target;
  h.pool_ready = pool.ready;
  h.pool_starting = pool.starting;
  return json_response(200, to_json(h));
}

HttpResponse bridges(const ApiContext& ctx) {
  json arr = json::array();
  for (const auto& b : ctx.board.bridges()) arr.push_back(to_json(b));
  return json_response(200, arr);
}

HttpResponse metrics(ApiContext& ctx) {
  ctx.metrics.event_stream_clients(ctx.events.subscribers());
  return HttpResponse{200, ctx.metrics.text(), "text/plain; version=0.0.4; charset=utf-8"};
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

// "{name}" in a route's pattern stands for one path segment.
std::string segment_regex(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    out += "([^/]+)";
    i = pattern.find('}', i);
    if (i == std::string::npos) break;
  }
  return out;
}

// Paths and the methods they take; a known path with another method is 405.
// The pattern names the route in hydra_api_requests_total.
struct Route {
  std::string pattern;
  std::string method;
  HttpResponse (*handle)(ApiContext&, const HttpRequest&, const std::smatch&);
  std::regex path = std::regex(segment_regex(pattern));
};

const std::vector<Route>& route_table() {
  // Built once: a regex costs more to compile than most requests take.
  static const std::vector<Route> routes = {
      {"/health", "GET", [](ApiContext& c, const HttpRequest&, const std::smatch&) { return health(c); }},
      {"/metrics", "GET", [](ApiContext& c, const HttpRequest&, const std::smatch&) { return metrics(c); }},
      {"/api/v1/events", "GET",
       [](ApiContext& c, const HttpRequest&, const std::smatch&) { return event_stream(c); }},
      {"/api/v1/bridges", "GET", [](ApiContext& c, const HttpRequest&, const std::smatch&) { return bridges(c); }},
      {"/api/v1/docker-instances", "POST",
       [](ApiContext& c, const HttpRequest& r, const std::smatch&) { return create_instance(c, r); }},
      {"/api/v1/docker-instances", "GET",
       [](ApiContext& c, const HttpRequest&, const std::smatch&) { return list_instances(c); }},
      {"/api/v1/docker-instances/{type}/{id}", "GET",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return inspect_instance(c, m[1], m[2]); }},
      {"/api/v1/docker-instances/{type}/{id}", "DELETE",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return delete_instance(c, m[1], m[2]); }},
      {"/api/v1/docker-instances/{type}/{id}/data", "DELETE",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return purge_instance(c, m[1], m[2]); }},
      {"/api/v1/gc/reconcile", "POST",
       [](ApiContext& c, const HttpRequest& r, const std::smatch&) { return gc_reconcile(c, r); }},
      {"/api/v1/goldens", "POST",
       [](ApiContext& c, const HttpRequest& r, const std::smatch&) { return create_golden(c, r); }},
      {"/api/v1/goldens", "GET", [](ApiContext& c, const HttpRequest&, const std::smatch&) { return list_goldens(c); }},
      {"/api/v1/goldens/{name}", "GET",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return get_golden(c, m[1]); }},
      {"/api/v1/goldens/{name}", "DELETE",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return delete_golden(c, m[1]); }},
      {"/api/v1/privileged-mode/status", "GET",
       [](ApiContext& c, const HttpRequest&, const std::smatch&) { return privileged_mode(c); }},
      {"/api/v1/bridge-desktop", "POST",
       [](ApiContext& c, const HttpRequest& r, const std::smatch&) { return bridge_desktop(c, r); }},
      {"/api/v1/bridge-desktop", "DELETE",
       [](ApiContext& c, const HttpRequest& r, const std::smatch&) { return unbridge_desktop(c, r); }},
      {"/api/v1/bridge-desktop/{type}/{id}", "DELETE",
       [](ApiContext& c, const HttpRequest&, const std::smatch& m) { return unbridge_desktop_key(c, m[1], m[2]); }},
  };
  return routes;
}

}  // namespace

namespace {

HttpResponse answer(ApiContext& ctx, const HttpRequest& req, std::string& pattern) {
  bool path_known = false;
  for (const auto& r : route_table()) {
    std::smatch m;
    if (!std::regex_match(req.path, m, r.path)) continue;
    path_known = true;
    pattern = r.pattern;
    if (r.method == req.method) return r.handle(ctx, req, m);
  }
  if (path_known) return error_response(405, req.method + " is not allowed on " + req.path);
  return error_response(404, "no such endpoint: " + req.path);
}

}  // namespace

HttpResponse route(ApiContext& ctx, const HttpRequest& req) {
  // Unknown paths share one series: a scanner must not grow the metrics.
  std::string pattern = "unknown";
  HttpResponse resp = answer(ctx, req, pattern);
  const bool known_method = req.method == "GET" || req.method == "POST" || req.method == "DELETE" ||
                            req.method == "PUT" || req.method == "HEAD";
  ctx.metrics.api_request(known_method ? req.method : "other", pattern, resp.status);
  return resp;
}

}  // namespace hydra::api
