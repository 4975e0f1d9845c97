// SPDX-License-Identifier: Apache-2.0
// A small HTTP/1.1 server on the control socket (libmicrohttpd, its own
// thread). Requests are read whole (bodies capped), handed to one handler,
// and answered; the handler must be thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

struct MHD_Daemon;

namespace hydra::api {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  bool body_truncated = false;  // only where the server keeps oversized bodies' beginnings
  // Who is asking (SO_PEERCRED on the unix socket); -1 when unknown (TCP).
  long peer_uid = -1;
  long peer_pid = -1;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // A streamed (chunked) body instead of `body`: called for the next bytes;
  // it may block (each connection has its own thread); returning an empty
  // string ends the stream.
  std::function<std::string()> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpBodyLimit {
  size_t max = size_t{64} * 1024;
  // Beyond `max`: false answers 413; true hands the handler the first `max`
  // bytes, marked truncated (a peer that cannot take a 413).
  bool truncate = false;
};

class HttpServer {
 public:
  static constexpr unsigned kMaxConnections = 256;

  // Serves on an already listening socket (see listen_unix); `path` is
  // removed when the server stops.
  static Result<std::unique_ptr<HttpServer>> start(UniqueFd listener, std::string path, HttpHandler handler,
                                                   HttpBodyLimit body_limit = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Called by libmicrohttpd.
  [[nodiscard]] const HttpHandler& handler() const { return handler_; }
  [[nodiscard]] const HttpBodyLimit& body_limit() const { return body_limit_; }

 private:
  HttpServer(std::string path, HttpHandler handler, HttpBodyLimit body_limit)
      : path_(std::move(path)), handler_(std::move(handler)), body_limit_(body_limit) {}
  std::string path_;
  HttpHandler handler_;
  HttpBodyLimit body_limit_;
  MHD_Daemon* daemon_ = nullptr;
  UniqueFd listener_;
};

// {"error": message} with the given status.
HttpResponse error_response(int status, const std::string& message);

}  // namespace hydra::api
