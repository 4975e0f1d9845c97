// SPDX-License-Identifier: Apache-2.0
// A small HTTP/1.1 server on the control socket (libmicrohttpd, a thread per
// connection). Requests are read whole (bodies capped), handed to one
// handler, and answered; the handler must be thread-safe.
//
// Slow and greedy clients: the server accepts connections itself, so that
// one peer (uid) past its share is answered 503 at once and everyone else
// keeps being served; a request must arrive whole within the request
// timeout (else the connection is shut down); a body announced larger than
// the limit is refused with 413 before any of it is read.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <thread>

#include "api/connection_table.hpp"
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
  // Further headers (Retry-After on a 503 that may be retried).
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed (chunked) body instead of `body`: called for the next bytes;
  // it may block (each connection has its own thread); returning an empty
  // string ends the stream.
  std::function<std::string()> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpLimits {
  size_t max_body = size_t{64} * 1024;
  // Beyond max_body: false answers 413; true hands the handler the first
  // max_body bytes, marked truncated (a peer that cannot take a 413).
  bool truncate_body = false;
  ConnectionLimits connections;
};

class HttpServer {
 public:
  // Serves on an already listening socket (see listen_unix); `path` is
  // removed when the server stops.
  static Result<std::unique_ptr<HttpServer>> start(UniqueFd listener, std::string path, HttpHandler handler,
                                                   HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Called by libmicrohttpd.
  [[nodiscard]] const HttpHandler& handler() const { return handler_; }
  [[nodiscard]] const HttpLimits& limits() const { return limits_; }
  [[nodiscard]] ConnectionTable& connections() { return table_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  HttpServer(std::string path, HttpHandler handler, HttpLimits limits)
      : path_(std::move(path)), handler_(std::move(handler)), limits_(limits), table_(limits.connections) {}
  void accept_loop();
  void refuse(int fd, ConnectionTable::Admission why, long uid) const;

  std::string path_;
  HttpHandler handler_;
  HttpLimits limits_;
  ConnectionTable table_;
  MHD_Daemon* daemon_ = nullptr;
  UniqueFd listener_;
  UniqueFd stop_;  // eventfd: the acceptor's "stop"
  std::thread acceptor_;
};

// {"error": message} with the given status.
HttpResponse error_response(int status, const std::string& message);

}  // namespace hydra::api
