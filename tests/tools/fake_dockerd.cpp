// SPDX-License-Identifier: Apache-2.0
// A stand-in for a session dockerd, for tests that need a daemon hydrad can
// start, ping, adopt, stop and lose on cue without Docker: it takes the
// arguments hydrad gives dockerd (--host=unix://..., --pidfile=...), writes
// its pidfile, and answers the Engine API calls hydrad makes (/_ping, the
// container list, a container stop) on its socket. SIGTERM ends it (exit 0).
//
// FAKE_DOCKERD_MODE (from hydrad's environment) picks a misbehaviour:
//   exit-after-ping  its process exits before its first /_ping is answered;
//                    a child it leaves behind sends that answer once the
//                    parent is gone, so hydrad sees "ready" from a dockerd
//                    that has already exited.
//   slow-stop        one container "c1" always runs; stopping it takes 4 s.
//                    The log says when a stop begins, and says OVERLAP when a
//                    stop begins while another is still in flight (two parts
//                    of hydrad acting on the session at once).
//   odd-answers      every answer hydrad decodes comes in the shapes the
//                    fuzzers found (wrong types, wrong nesting, not JSON): the
//                    container list (its first answer is [] so a desktop can
//                    be bridged), inspects, error bodies, and an event stream
//                    of odd lines that ends after a few, so the desktop link
//                    syncs again and again. The log counts the inspects.
// Requests are served each on a thread of its own, so they can overlap.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace {

std::string g_socket, g_pidfile, g_mode;
std::atomic<int> g_stops{0};

void on_term(int) {
  unlink(g_socket.c_str());
  unlink(g_pidfile.c_str());
  _exit(0);
}

std::string arg_value(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
    if (a == name && i + 1 < argc) return argv[i + 1];
  }
  return "";
}

// The request's head (and any body it announces): enough to route it.
std::string read_request(int fd) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return in;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

std::atomic<int> g_lists{0}, g_inspects{0};

// odd-answers: the shapes, in turn.
const char* const kOddLists[] = {R"([{"Id":"x","Names":["/web"]}])", "{}", R"([1,"x",null])",
                                 R"([{"Id":"x","Names":"web"},{"Id":5}])", "not json", R"([{"Id":"x","Names":[7]}])"};
const char* const kOddInspects[] = {
    R"({"Id":"x","Name":"/web","State":{"Running":{}}})",
    R"({"Id":7,"Name":[],"State":[],"Config":{"Labels":[]},"NetworkSettings":{"Networks":{"n":{"Aliases":{},"IPAddress":5}},"Ports":{"80/tcp":[1,{"HostPort":80}]}}})",
    "[]", R"({"message":{}})", R"({"Id":"x","Name":"/web","State":{"Running":true,"Pid":"12"},"NetworkSettings":[]})"};
const char* const kOddEvents[] = {R"({"Type":"container","Action":"start","timeNano":"x"})", "[]", "not json",
                                  R"({"Type":"container","Action":"start","timeNano":5})", R"({"timeNano":{}})"};

// A stream of odd event lines, then its end (the follower reconnects).
void odd_events(int fd) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nConnection: close\r\n\r\n";
  (void)!write(fd, head.data(), head.size());
  for (const char* line : kOddEvents) {
    const std::string l = std::string(line) + "\n";
    if (write(fd, l.data(), l.size()) < 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void answer(int fd, const std::string& request) {
  const std::string line = request.substr(0, request.find("\r\n"));
  std::string status = "200 OK", body = "OK", type = "text/plain";
  const bool slow_stop = g_mode == "slow-stop";
  const bool odd = g_mode == "odd-answers";
  if (odd && line.find("/events") != std::string::npos) {
    odd_events(fd);
    return;
  }
  if (odd && line.find("/containers/json") != std::string::npos && line.find("all=1") == std::string::npos) {
    const int n = g_lists++;
    body = n == 0 ? "[]" : kOddLists[(n - 1) % std::size(kOddLists)];
    type = "application/json";
  } else if (odd && line.find("/containers/") != std::string::npos && line.find("/json") != std::string::npos) {
    const int n = g_inspects++;
    std::fprintf(stderr, "fake-dockerd: inspect %d answered\n", n + 1);
    body = kOddInspects[n % std::size(kOddInspects)];
    type = "application/json";
  } else if (odd && line.find("/stop") != std::string::npos) {
    status = "500 Internal Server Error";
    body = R"({"message":{"not":"a string"}})";
    type = "application/json";
  } else if (line.find("/_ping") != std::string::npos) {
  } else if (line.find("/containers/json") != std::string::npos) {
    body = slow_stop ? R"([{"Id":"c1","Names":["/c1"],"State":"running"}])" : "[]";
    type = "application/json";
  } else if (line.find("/stop") != std::string::npos) {
    status = "204 No Content";
    body.clear();
    if (slow_stop) {
      const int in_flight = ++g_stops;
      std::fprintf(stderr, "fake-dockerd: stop begins%s\n", in_flight > 1 ? " (OVERLAP: another stop is in flight)" : "");
      std::this_thread::sleep_for(std::chrono::seconds(4));
      --g_stops;
    }
  } else if (line.find("/version") != std::string::npos) {
    body = R"({"Version":"fake","ApiVersion":"1.41"})";
    type = "application/json";
  } else {
    status = "404 Not Found";
    body = R"({"message":"fake dockerd: not served"})";
    type = "application/json";
  }
  std::string out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nApi-Version: 1.41\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)!write(fd, out.data(), out.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = arg_value(argc, argv, "--host");
  if (host.empty()) host = arg_value(argc, argv, "-H");
  if (host.rfind("unix://", 0) != 0) {
    std::fprintf(stderr, "fake-dockerd: --host=unix://PATH needed\n");
    return 2;
  }
  g_socket = host.substr(7);
  g_pidfile = arg_value(argc, argv, "--pidfile");
  const char* mode_env = std::getenv("FAKE_DOCKERD_MODE");
  g_mode = mode_env ? mode_env : "";
  const std::string& mode = g_mode;
  setvbuf(stderr, nullptr, _IONBF, 0);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  if (!g_pidfile.empty()) std::ofstream(g_pidfile) << getpid() << "\n";
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, g_socket.c_str(), sizeof addr.sun_path - 1);
  unlink(g_socket.c_str());
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 64) != 0) {
    std::perror("fake-dockerd: listen");
    return 1;
  }
  std::fprintf(stderr, "fake-dockerd: serving %s (mode \"%s\")\n", g_socket.c_str(), mode.c_str());
  for (;;) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::string request = read_request(fd);
    if (mode == "exit-after-ping" && request.find("/_ping") != std::string::npos) {
      const pid_t parent = getpid();
      if (fork() == 0) {
        // Answer only once the "dockerd" hydrad watches has exited.
        for (int i = 0; i < 2000 && getppid() == parent; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        answer(fd, request);
        _exit(0);
      }
      unlink(g_pidfile.c_str());
      _exit(0);
    }
    std::thread([fd, request] {
      answer(fd, request);
      close(fd);
    }).detach();
  }
}
