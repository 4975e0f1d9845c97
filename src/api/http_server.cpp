// SPDX-License-Identifier: Apache-2.0
#include "api/http_server.hpp"

#include <microhttpd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "api/schema.hpp"

namespace hydra::api {

HttpResponse error_response(int status, const std::string& message) {
  return {status, error_json(message).dump() + "\n"};
}

namespace {

struct Pending {
  std::string body;
  bool too_large = false;
};

// State of one streamed response: what the producer gave and is not sent yet.
struct StreamState {
  std::function<std::string()> next;
  std::string pending;
};

ssize_t read_stream(void* cls, uint64_t, char* buf, size_t max) {
  auto* st = static_cast<StreamState*>(cls);
  if (st->pending.empty()) st->pending = st->next();
  if (st->pending.empty()) return MHD_CONTENT_READER_END_OF_STREAM;
  size_t n = std::min(max, st->pending.size());
  st->pending.copy(buf, n);
  st->pending.erase(0, n);
  return static_cast<ssize_t>(n);
}

void free_stream(void* cls) { delete static_cast<StreamState*>(cls); }

MHD_Result send(MHD_Connection* conn, const HttpResponse& r) {
  MHD_Response* resp =
      r.stream ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &read_stream, new StreamState{r.stream, {}},
                                                   &free_stream)
               : MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", r.content_type.c_str());
  MHD_Result ret = MHD_queue_response(conn, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return ret;
}

MHD_Result on_request(void* cls, MHD_Connection* conn, const char* url, const char* method, const char*,
                      const char* upload_data, size_t* upload_size, void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  if (*con_cls == nullptr) {
    *con_cls = new Pending();
    return MHD_YES;
  }
  auto* pending = static_cast<Pending*>(*con_cls);
  const HttpBodyLimit& limit = server->body_limit();
  if (*upload_size != 0) {
    const size_t room = limit.max - std::min(limit.max, pending->body.size());
    if (*upload_size > room) pending->too_large = true;
    pending->body.append(upload_data, std::min(room, *upload_size));
    *upload_size = 0;
    return MHD_YES;
  }
  if (pending->too_large && !limit.truncate)
    return send(conn, error_response(413, "request body larger than " + std::to_string(limit.max) + " bytes"));
  HttpRequest req{method, url, std::move(pending->body)};
  req.body_truncated = pending->too_large;
  if (const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) {
      req.peer_uid = cred.uid;
      req.peer_pid = cred.pid;
    }
  }
  HttpResponse resp;
  try {
    resp = server->handler()(req);
  } catch (const std::exception& e) {  // never let a handler bug take the server thread down
    resp = error_response(500, std::string("internal error: ") + e.what());
  }
  return send(conn, resp);
}

void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);
  *con_cls = nullptr;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(UniqueFd listener, std::string path, HttpHandler handler,
                                                     HttpBodyLimit body_limit) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(path), std::move(handler), body_limit));
  server->daemon_ = MHD_start_daemon(
      // A thread per connection: a session start takes seconds and must not
      // hold up /health or another client.
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, nullptr, nullptr, &on_request, server.get(),
      MHD_OPTION_LISTEN_SOCKET, listener.get(), MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr,
      MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
      MHD_OPTION_END);
  if (!server->daemon_) return make_error("start HTTP server on " + server->path_, EIO);
  server->listener_ = std::move(listener);
  return server;
}

HttpServer::~HttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace hydra::api
