// SPDX-License-Identifier: Apache-2.0
// Issue 18: the control socket under slow and greedy clients, with a real
// hydrad. Before, 300 connections that announced a body and stalled froze
// /health for 30 s, and a 100 MB body was waited for.
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>

#include "guarded_fixture.hpp"

using namespace hydra::test;

namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

int connect_to(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{15, 0};  // a deadline for every read below; hydrad's are 1-2 s
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) { (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

struct Reply {
  std::string text;
  bool closed = false;  // the server closed it (false: the receive deadline passed first)
};
// Everything until the server closes, or the receive deadline passes.
Reply read_to_end(int fd) {
  Reply r;
  char buf[4096];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) r.text.append(buf, static_cast<size_t>(n));
  r.closed = n == 0 || (n < 0 && errno == ECONNRESET);
  return r;
}

struct LimitedHydrad {
  SandboxWorld world{1};
  std::string dir = temp_dir();
  std::unique_ptr<HydradProcess> hydrad;
  LimitedHydrad() {
    chmod(dir.c_str(), 0711);  // the socket inside is reached by uid nobody too
    std::ofstream(dir + "/h.toml") << "socket_group = \"nogroup\"\n[api]\nrequest_timeout = 1\n"
                                   << "connections_per_peer = 8\nmax_connections = 64\n";
    hydrad = std::make_unique<HydradProcess>(world.sbx.path(), dir, std::vector<std::string>{"--config", dir + "/h.toml"});
  }
  ~LimitedHydrad() {
    hydrad->stop(SIGTERM);
    std::system(("rm -rf " + dir).c_str());
  }
};

}  // namespace

TEST(ApiLimits, StalledHeadersAndBodiesAreCutAtTheDeadline) {
  HYDRA_REQUIRE_ROOT();
  LimitedHydrad h;
  ASSERT_TRUE(h.world.ok);
  ASSERT_TRUE(h.hydrad->start());
  const std::string sock = h.hydrad->socket();
  struct Case {
    const char* what;
    std::string sent;
  };
  for (const auto& c : std::vector<Case>{
           {"stalled headers", "GET /health HTTP/1.1\r\nHost: x\r\n"},
           {"stalled body", "POST /api/v1/docker-instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100\r\n\r\n{\"scope_type\""},
           {"idle keep-alive", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"}}) {
    int fd = connect_to(sock);
    ASSERT_GE(fd, 0);
    send_all(fd, c.sent);
    Reply got = read_to_end(fd);
    close(fd);
    EXPECT_TRUE(got.closed) << c.what << ": still open after 15 s (the request deadline is 1 s)";
    if (std::string(c.what) == "idle keep-alive") {
      EXPECT_EQ(got.text.rfind("HTTP/1.1 200", 0), 0u) << got.text;
    } else {
      EXPECT_TRUE(got.text.empty()) << c.what << " got an answer: " << got.text;
    }
  }
  // Meanwhile and after, hydrad answers.
  EXPECT_EQ(h.hydrad->health().value("status", ""), "ok");
}

TEST(ApiLimits, OversizedBodiesAreRefusedBeforeTheyAreRead) {
  HYDRA_REQUIRE_ROOT();
  LimitedHydrad h;
  ASSERT_TRUE(h.world.ok);
  ASSERT_TRUE(h.hydrad->start());
  // Announced: 413 at once, nothing of the 100 MB sent.
  int fd = connect_to(h.hydrad->socket());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /api/v1/docker-instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 100000000\r\n\r\n");
  Reply got = read_to_end(fd);
  close(fd);
  EXPECT_EQ(got.text.rfind("HTTP/1.1 413", 0), 0u) << got.text;
  EXPECT_NE(got.text.find("65536"), std::string::npos) << got.text;
  // Chunked: refused once it grows past 64 KiB, while the client is still sending.
  fd = connect_to(h.hydrad->socket());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /api/v1/docker-instances HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "1000\r\n" + std::string(4096, 'x') + "\r\n";
  int sent = 0;
  for (; sent < 1000; ++sent)  // 4 MB offered; the server stops it after 64 KiB
    if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
  got = read_to_end(fd);
  close(fd);
  EXPECT_LT(sent, 1000) << "the server took the whole 4 MB";
  EXPECT_EQ(got.text.rfind("HTTP/1.1 413", 0), 0u) << got.text;
  EXPECT_EQ(h.hydrad->health().value("status", ""), "ok");
}

// A greedy peer (uid nobody) holding stalled connections past its share gets
// 503 for the extra ones; another peer (root) is served all along.
TEST(ApiLimits, AGreedyPeerCannotTakeTheSocket) {
  HYDRA_REQUIRE_ROOT();
  if (!getgrnam("nogroup")) GTEST_SKIP() << "no group nogroup on this machine";
  LimitedHydrad h;
  ASSERT_TRUE(h.world.ok);
  ASSERT_TRUE(h.hydrad->start());
  const std::string sock = h.hydrad->socket();
  int report[2];
  int hold[2];
  ASSERT_EQ(pipe(report), 0);
  ASSERT_EQ(pipe(hold), 0);
  pid_t greedy = fork();
  ASSERT_GE(greedy, 0);
  if (greedy == 0) {
    close(report[0]);
    close(hold[1]);
    if (setgid(kNogroup) != 0 || setuid(kNobody) != 0) _exit(2);
    std::vector<int> fds;
    for (int i = 0; i < 20; ++i) {
      int fd = connect_to(sock);
      if (fd < 0) _exit(3);
      send_all(fd, "POST /api/v1/docker-instances HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n");
      fds.push_back(fd);
    }
    // The ones past the share are answered 503 and closed at once; the
    // others stall (until the deadline).
    int refused = 0;
    timeval quick{10, 0};  // refused ones are closed at once; a deadline all the same
    for (size_t i = 8; i < fds.size(); ++i) {
      setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &quick, sizeof quick);
      Reply got = read_to_end(fds[i]);
      refused += got.text.rfind("HTTP/1.1 503", 0) == 0 && got.text.find("uid 65534") != std::string::npos;
    }
    char n = static_cast<char>(refused);
    (void)!write(report[1], &n, 1);
    char done;
    (void)!read(hold[0], &done, 1);  // hold the rest until the parent has checked
    _exit(0);
  }
  close(report[1]);
  close(hold[0]);
  char refused = 0;
  ASSERT_EQ(read(report[0], &refused, 1), 1);
  EXPECT_EQ(refused, 12) << "each of the 12 connections past the share of 8 is answered 503 naming the uid";
  // Root is another peer: served while nobody's 8 connections stall.
  EXPECT_EQ(h.hydrad->health().value("status", ""), "ok") << "/health did not answer beside the greedy peer";
  close(hold[1]);
  int status = 0;
  waitpid(greedy, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(report[0]);
}
