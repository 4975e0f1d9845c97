// SPDX-License-Identifier: Apache-2.0
#include "api/http_server.hpp"

#include <microhttpd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "api/schema.hpp"
#include "base/clock.hpp"
#include "base/guarded_thread.hpp"

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
  for (const auto& [name, value] : r.headers) MHD_add_response_header(resp, name.c_str(), value.c_str());
  MHD_Result ret = MHD_queue_response(conn, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return ret;
}

// Who is at the other end of a unix socket (SO_PEERCRED); pid 0 when
// unknown (TCP).
ucred peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) cred.pid = 0;
  return cred;
}

int connection_fd(MHD_Connection* conn) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  return info ? info->connect_fd : -1;
}

// An answer written straight to the socket, for when libmicrohttpd cannot
// queue one (mid-body) or the connection is never handed to it. Best
// effort, never blocking: a peer that does not read gets nothing.
void write_reply(int fd, const char* status_line, const std::string& message) {
  const std::string body = error_json(message).dump() + "\n";
  const std::string reply = std::string("HTTP/1.1 ") + status_line + "\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)::send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

std::string too_large_message(const HttpLimits& limits) {
  return "request body larger than " + std::to_string(limits.max_body) + " bytes";
}

HttpResponse too_large(const HttpLimits& limits) { return error_response(413, too_large_message(limits)); }

MHD_Result on_request(void* cls, MHD_Connection* conn, const char* url, const char* method, const char*,
                      const char* upload_data, size_t* upload_size, void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  const HttpLimits& limits = server->limits();
  if (*con_cls == nullptr) {
    *con_cls = new Pending();
    // Refused before any of the body is read: a client announcing 100 MB
    // is not waited for.
    const char* length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && !limits.truncate_body && std::strtoull(length, nullptr, 10) > limits.max_body) {
      server->connections().handling(connection_fd(conn));
      return send(conn, too_large(limits));
    }
    return MHD_YES;
  }
  auto* pending = static_cast<Pending*>(*con_cls);
  if (*upload_size != 0) {
    const size_t room = limits.max_body - std::min(limits.max_body, pending->body.size());
    if (*upload_size > room) pending->too_large = true;
    pending->body.append(upload_data, std::min(room, *upload_size));
    *upload_size = 0;
    // A chunked body that grows past the limit: refused now, not at its
    // end. libmicrohttpd queues no answer mid-body, so it is written here
    // and the connection closed (MHD_NO).
    if (pending->too_large && !limits.truncate_body) {
      const int fd = connection_fd(conn);
      server->connections().handling(fd);
      write_reply(fd, "413 Content Too Large", too_large_message(limits));
      return MHD_NO;
    }
    return MHD_YES;
  }
  server->connections().handling(connection_fd(conn));
  if (pending->too_large && !limits.truncate_body) return send(conn, too_large(limits));
  HttpRequest req{method, url, std::move(pending->body)};
  req.body_truncated = pending->too_large;
  if (const ucred cred = peer_of(connection_fd(conn)); cred.pid > 0) {
    req.peer_uid = cred.uid;
    req.peer_pid = cred.pid;
  }
  HttpResponse resp;
  try {
    resp = server->handler()(req);
  } catch (const std::exception& e) {  // never let a handler bug take the server thread down
    report_thread_escape("http " + server->path() + " " + method + " " + url, e.what(), "answered 500");
    resp = error_response(500, std::string("internal error: ") + e.what());
  } catch (...) {
    report_thread_escape("http " + server->path() + " " + method + " " + url, "not a std::exception", "answered 500");
    resp = error_response(500, "internal error");
  }
  return send(conn, resp);
}

void on_completed(void* cls, MHD_Connection* conn, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);
  *con_cls = nullptr;
  // Keep-alive: the next request is due within the request timeout.
  static_cast<HttpServer*>(cls)->connections().waiting(connection_fd(conn), monotonic_us());
}

void on_connection(void* cls, MHD_Connection* conn, void**, MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) static_cast<HttpServer*>(cls)->connections().closed(connection_fd(conn));
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(UniqueFd listener, std::string path, HttpHandler handler,
                                                     HttpLimits limits) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(path), std::move(handler), limits));
  // libmicrohttpd's own inactivity timeout is only a backstop for the
  // request deadline (the acceptor's watchdog), or the limit where there is
  // none (the plugin socket: dockerd keeps its connections).
  const auto& c = limits.connections;
  const unsigned inactivity = c.request_timeout_us > 0 ? static_cast<unsigned>(c.request_timeout_us / 1000000) + 2 : 30;
  server->daemon_ = MHD_start_daemon(
      // A thread per connection: a session start takes seconds and must not
      // hold up /health or another client. Connections come from the
      // acceptor (MHD_add_connection), which decides who may have one.
      MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
          MHD_USE_POLL,
      0, nullptr, nullptr, &on_request, server.get(), MHD_OPTION_NOTIFY_COMPLETED, &on_completed, server.get(),
      MHD_OPTION_NOTIFY_CONNECTION, &on_connection, server.get(), MHD_OPTION_CONNECTION_LIMIT, c.max_connections + 1,
      MHD_OPTION_CONNECTION_TIMEOUT, inactivity, MHD_OPTION_END);
  if (!server->daemon_) return make_error("start HTTP server on " + server->path_, EIO);
  server->listener_ = std::move(listener);
  server->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
  if (!server->stop_.valid()) return errno_error("eventfd for the HTTP server");
  server->acceptor_ = guarded_thread("http acceptor " + server->path_, [s = server.get()] { s->accept_loop(); });
  return server;
}

void HttpServer::refuse(int fd, ConnectionTable::Admission why, long uid) const {
  const auto& c = limits_.connections;
  const std::string message =
      why == ConnectionTable::Admission::kPeerFull
          ? "too many connections from uid " + std::to_string(uid) + " (at most " + std::to_string(c.per_peer) +
                " per peer); close some"
          : "hydrad serves at most " + std::to_string(c.max_connections) + " connections; try again";
  write_reply(fd, "503 Service Unavailable", message);
}

// Accepts connections and enforces the request deadline. Runs on its own
// thread; the only thing it waits for is the listener (or 100 ms while a
// connection has a deadline).
void HttpServer::accept_loop() {
  pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  for (;;) {
    const bool deadlines = limits_.connections.request_timeout_us > 0 && table_.connections() > 0;
    if (poll(fds, 2, deadlines ? 100 : -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    // Shut down (not closed: libmicrohttpd owns the fd) so that the
    // connection's thread sees its end and closes it.
    table_.expire(monotonic_us(), [](int fd) { ::shutdown(fd, SHUT_RDWR); });
    if (!(fds[0].revents & POLLIN)) continue;
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = accept4(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
      if (fd < 0) break;  // EAGAIN: all taken
      const ucred cred = peer_of(fd);
      const long uid = cred.pid > 0 ? static_cast<long>(cred.uid) : -1;
      const auto admission = table_.admit(uid);
      if (admission != ConnectionTable::Admission::kAdmitted) {
        refuse(fd, admission, uid);
        ::close(fd);
        continue;
      }
      table_.opened(fd, uid, monotonic_us());
      // On failure libmicrohttpd has closed the fd.
      if (MHD_add_connection(daemon_, fd, reinterpret_cast<sockaddr*>(&addr), len) != MHD_YES) table_.closed(fd);
    }
  }
}

HttpServer::~HttpServer() {
  if (acceptor_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    acceptor_.join();
  }
  if (daemon_) MHD_stop_daemon(daemon_);
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace hydra::api
