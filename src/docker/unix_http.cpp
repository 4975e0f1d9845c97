// SPDX-License-Identifier: Apache-2.0
#include "docker/unix_http.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include <memory>

namespace hydra::docker {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

Result<HttpReply> unix_http(const std::string& socket, const std::string& method, const std::string& path,
                            const std::string& body, long timeout_s) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return make_error("cannot initialise libcurl", ENOMEM);
  HttpReply reply;
  std::string url = "http://localhost" + path;  // Host is ignored; the socket decides
  curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = nullptr;
  if (!body.empty() || method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  if (rc != CURLE_OK)
    return make_error(method + " " + path + " on " + socket + ": " + curl_easy_strerror(rc), ECONNREFUSED);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

namespace {

size_t forward(char* data, size_t size, size_t n, void* fn) {
  auto& on_data = *static_cast<const std::function<bool(std::string_view)>*>(fn);
  return on_data(std::string_view(data, size * n)) ? size * n : 0;  // 0 makes curl stop
}

}  // namespace

void StreamCancel::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // curl sees the end of the stream
}

void StreamCancel::attach(int fd) {
  std::lock_guard lock(mu_);
  fd_ = fd;
  if (cancelled_ && fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

namespace {

curl_socket_t open_cancellable(void* data, curlsocktype, curl_sockaddr* addr) {
  int fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  static_cast<StreamCancel*>(data)->attach(fd);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int close_cancellable(void* data, curl_socket_t fd) {
  static_cast<StreamCancel*>(data)->attach(-1);
  return ::close(fd);
}

}  // namespace

Result<HttpReply> unix_http_stream(const std::string& socket, const std::string& path,
                                   const std::function<bool(std::string_view)>& on_data, StreamCancel* cancel) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return make_error("cannot initialise libcurl", ENOMEM);
  std::string url = "http://localhost" + path;
  curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &forward);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &on_data);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (cancel) {
    curl_easy_setopt(curl.get(), CURLOPT_OPENSOCKETFUNCTION, &open_cancellable);
    curl_easy_setopt(curl.get(), CURLOPT_OPENSOCKETDATA, cancel);
    curl_easy_setopt(curl.get(), CURLOPT_CLOSESOCKETFUNCTION, &close_cancellable);
    curl_easy_setopt(curl.get(), CURLOPT_CLOSESOCKETDATA, cancel);
  }
  CURLcode rc = curl_easy_perform(curl.get());
  HttpReply reply;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
    return make_error("GET " + path + " on " + socket + ": " + curl_easy_strerror(rc), ECONNREFUSED);
  return reply;
}

}  // namespace hydra::docker
