#include "api/routes.hpp"

#include <nlohmann/json.hpp>

namespace hydra::api {

using nlohmann::json;

HttpResponse route(const ApiContext& ctx, const HttpRequest& req) {
  struct Route {
    const char* path;
    std::function<HttpResponse()> get;
  };
  const Route routes[] = {
      {"/health",
       [&] {
         json bridges = ctx.board.bridges();
         size_t guarded = 0;
         for (const auto& b : bridges) guarded += b["state"] == "guarded";
         return HttpResponse{200, json{{"status", ctx.board.ready() ? "ok" : "starting"},
                                       {"version", ctx.version},
                                       {"bridges", bridges.size()},
                                       {"guarded", guarded}}
                                      .dump() + "\n"};
       }},
      {"/api/v1/bridges", [&] { return HttpResponse{200, ctx.board.bridges().dump() + "\n"}; }},
  };
  for (const auto& r : routes) {
    if (req.path != r.path) continue;
    if (req.method != "GET") return error_response(405, req.method + " is not allowed on " + req.path);
    return r.get();
  }
  return error_response(404, "no such endpoint: " + req.path);
}

}  // namespace hydra::api
