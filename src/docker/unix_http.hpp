// SPDX-License-Identifier: Apache-2.0
// HTTP/1.1 over a unix socket (libcurl): the Engine API of a dockerd, and
// hydrad's own API for hydractl.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hydra::docker {

struct HttpReply {
  long status = 0;
  std::string body;
};

// An error only when no answer came (socket missing, refused, timed out);
// any HTTP status is a reply.
Result<HttpReply> unix_http(const std::string& socket, const std::string& method, const std::string& path,
                            const std::string& body = "", long timeout_s = 60);

// Ends a stream from another thread at once: its connection is shut down.
class StreamCancel {
 public:
  void cancel();
  [[nodiscard]] bool cancelled() const { return cancelled_; }
  // Used by unix_http_stream: the socket it opened (-1 when closed).
  void attach(int fd);

 private:
  std::mutex mu_;
  int fd_ = -1;
  bool cancelled_ = false;
};

// A GET whose body is handed over piece by piece as it arrives (a stream);
// on_data returns false to stop. The reply's body stays empty.
Result<HttpReply> unix_http_stream(const std::string& socket, const std::string& path,
                                   const std::function<bool(std::string_view)>& on_data,
                                   StreamCancel* cancel = nullptr);

}  // namespace hydra::docker
