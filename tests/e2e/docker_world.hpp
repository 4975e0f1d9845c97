// SPDX-License-Identifier: Apache-2.0
// The end-to-end world: a sandbox namespace whose eth0 is a veth to an
// "upstream" namespace serving HTTP on every address it has (the test's internet), Debian's dockerd
// as the sandbox's main daemon with docker0 10.213.0.1/24, an offline busybox
// image, containers "buildkit" and "desktop", and hydrad. Fixture code: it
// may use ip(8), nsenter and the docker CLI; hydra itself does not.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "../integration/hydrad_process.hpp"
#include "../integration/sandbox_world.hpp"

// An end-to-end test needs root and Debian's dockerd: it fails under CI
// without them, and skips (saying so) on a developer's machine.
#define HYDRA_REQUIRE_DOCKERD()                                                               \
  do {                                                                                        \
    HYDRA_REQUIRE_ROOT();                                                                     \
    if (access("/usr/sbin/dockerd", X_OK) != 0) {                                             \
      if (std::getenv("CI")) FAIL() << "dockerd missing: make test installs docker.io";       \
      GTEST_SKIP() << "needs Debian's docker.io (dockerd); skipped on this machine";          \
    }                                                                                         \
  } while (0)

namespace hydra::test {

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// --privileged for a container. Where this machine's own bounding set
// lacks a capability (a sandbox inside a container), runc cannot grant all
// of them: then everything --privileged gives hydrad, but that capability.
inline std::string privileged_flags(const char* who) {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t bounding = 0;
  while (std::getline(status, line))
    if (line.rfind("CapBnd:", 0) == 0) bounding = std::stoull(line.substr(7), nullptr, 16);
  static const char* const kNames[] = {
      "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
      "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
      "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
      "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
      "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
      "CHECKPOINT_RESTORE"};
  std::string drop;
  for (int cap = 0; cap <= 40; ++cap)
    if (!(bounding >> cap & 1)) drop += std::string(" --cap-drop ") + kNames[cap];
  if (drop.empty()) return "--privileged";
  std::printf("%s: this machine's bounding set lacks capabilities; running with every other one\n", who);
  return "--cap-add ALL" + drop +
         " --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined";
}

class DockerWorld {
 public:
  TestNetns sbx{"dsbx"};
  TestNetns up{"dup"};
  std::string dir;
  std::unique_ptr<HydradProcess> hydrad;
  bool ok = false;

  // `sessions_toml`: more lines for hydrad's [sessions] table. Without
  // `start_hydrad` the world has no hydrad of its own (the image test runs one).
  // `data_dir`: the sessions' data roots somewhere else (a filesystem the
  // test made); by default under the world's directory.
  explicit DockerWorld(bool live_restore, std::string sessions_toml = "", bool start_hydrad = true,
                       std::string data_dir = "")
      : sessions_toml_(std::move(sessions_toml)), start_hydrad_(start_hydrad), data_dir_(std::move(data_dir)) {
    char tmpl[] = "/tmp/hydra-e2e-XXXXXX";
    dir = mkdtemp(tmpl) ? tmpl : "/tmp/hydra-e2e-x";
    chmod(dir.c_str(), 0711);  // as /run is: the sessions' dnsmasqs (user nobody) reach their hosts files
    ok = build(live_restore);
  }
  ~DockerWorld() { teardown(); }

  [[nodiscard]] std::string main_socket() const { return dir + "/main.sock"; }
  [[nodiscard]] std::string in_sbx(const std::string& cmd) const { return "nsenter --net=" + sbx.path() + " " + cmd; }
  // docker CLI against a daemon's socket.
  [[nodiscard]] std::string docker(const std::string& socket, const std::string& args) const {
    return trim(capture("DOCKER_HOST=unix://" + socket + " docker " + args + " 2>&1"));
  }
  int docker_rc(const std::string& socket, const std::string& args) const {
    return sh("DOCKER_HOST=unix://" + socket + " docker " + args);
  }
  // hydrad's API: "STATUS BODY".
  [[nodiscard]] std::pair<int, std::string> api(const std::string& method, const std::string& path,
                                                const std::string& body = "") const {
    std::string data = body.empty() ? "" : " -H 'Content-Type: application/json' --data-binary @" + write_body(body);
    // A large body waits for the server's go-ahead: a refusal (413) comes
    // before it is sent, and the close that follows cannot cut curl off mid-
    // send (curl waits only 1 s by default, less than a busy machine may take).
    if (body.size() > 1024) data += " -H 'Expect: 100-continue' --expect100-timeout 60";
    auto out = capture("curl -s -m 120 -w '\\n%{http_code}' -X " + method + " --unix-socket " + hydrad->socket() +
                       data + " http://localhost" + path);
    auto nl = out.find_last_of('\n');
    if (nl == std::string::npos) return {0, out};
    return {std::atoi(out.substr(nl + 1).c_str()), out.substr(0, nl)};
  }
  bool import_busybox(const std::string& socket) const {
    return docker_rc(socket, "import " + dir + "/busybox.tar busybox:hydra") == 0;
  }
  // The sandbox's firewall as Docker and hydra wrote it, without counters
  // and timestamps, and without hydra's own `inet hydra` table.
  [[nodiscard]] std::string firewall_outside_hydra() const {
    std::string nft = capture(in_sbx("nft -s list ruleset"));
    auto start = nft.find("table inet hydra {");
    if (start != std::string::npos) {
      auto end = nft.find("\n}\n", start);
      nft.erase(start, end == std::string::npos ? std::string::npos : end + 3 - start);
    }
    std::string ipt = capture(in_sbx("iptables-save") + " | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//'");
    return nft + "\n--- iptables-save ---\n" + ipt;
  }
  [[nodiscard]] std::string docker0_ifindex() const {
    auto j = nlohmann::json::parse(capture("ip -n " + sbx.name() + " -j link show dev docker0"), nullptr, false);
    return j.is_array() && !j.empty() ? j[0]["ifindex"].dump() : "missing";
  }

 private:
  std::string sessions_toml_;
  bool start_hydrad_ = true;
  std::string data_dir_;
  pid_t httpd_ = -1;
  pid_t resolver_ = -1;
  pid_t main_dockerd_ = -1;

  // One file per request: requests may be made from several threads at once.
  std::string write_body(const std::string& body) const {
    static std::atomic<int> serial{0};
    std::string path = dir + "/body-" + std::to_string(serial++) + ".json";
    std::ofstream(path) << body;
    return path;
  }

  bool build(bool live_restore) {
    if (!sbx.ok() || !up.ok()) return false;
    // Upstream: 192.0.2.1 serving /www/hello over HTTP.
    if (sbx.ip("link add eth0 type veth peer name uplink netns " + up.name()) != 0) return false;
    // The sandbox's resolver is upstream's dnsmasq, which knows outside.test.
    std::ofstream(dir + "/resolv.conf") << "nameserver 192.0.2.1\n";
    sbx.ip("addr add 192.0.2.2/24 dev eth0");
    sbx.ip("link set eth0 up");
    sbx.ip("route add default via 192.0.2.1");
    up.ip("addr add 192.0.2.1/24 dev uplink");
    up.ip("link set uplink up");
    sh("mkdir -p " + dir + "/www && echo upstream-says-hello > " + dir + "/www/hello");
    httpd_ = fork();
    if (httpd_ == 0) {
      std::string cmd = "exec nsenter --net=" + up.path() + " busybox httpd -f -p 8080 -h " + dir + "/www";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    resolver_ = fork();
    if (resolver_ == 0) {
      std::string cmd = "exec nsenter --net=" + up.path() +
                        " dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts"
                        " --listen-address=192.0.2.1 --bind-interfaces --address=/outside.test/192.0.2.77 --pid-file=" +
                        dir + "/upstream-dns.pid --log-facility=" + dir + "/upstream-dns.log";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // An offline busybox image: a rootfs of Debian's busybox-static.
    sh("mkdir -p " + dir + "/rootfs/bin && cp /bin/busybox " + dir + "/rootfs/bin/ && cd " + dir +
       "/rootfs/bin && for t in sh ping sleep wget httpd ip cat timeout nslookup; do ln -sf busybox $t; done && tar -C " + dir +
       "/rootfs -cf " + dir + "/busybox.tar .");
    // The main dockerd, as the sandbox runs it.
    main_dockerd_ = fork();
    if (main_dockerd_ == 0) {
      std::string cmd = "exec " + in_sbx("dockerd --data-root " + dir + "/main-data --exec-root " + dir +
                                         "/main-exec -H unix://" + main_socket() + " --pidfile " + dir +
                                         "/main.pid --bip 10.213.0.1/24 > " + dir + "/main.log 2>&1");
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (!wait_ping(main_socket(), 30000)) return false;
    if (!import_busybox(main_socket())) return false;
    for (const char* name : {"buildkit", "desktop"})
      if (docker_rc(main_socket(), std::string("run -d --init --name ") + name + " busybox:hydra sleep 100000") != 0)
        return false;
    std::ofstream(dir + "/hydra.toml") << "[docker]\nmain_socket = \"" << main_socket() << "\"\n"
                                       << "[sessions]\ndata_dir = \"" << (data_dir_.empty() ? dir + "/sessions" : data_dir_)
                                       << "\"\nrun_dir = \"" << dir
                                       << "/run\"\nlive_restore = " << (live_restore ? "true" : "false") << "\n"
                                       << "resolv_conf = \"" << dir << "/resolv.conf\"\n"
                                       << test_cgroup_line(dir) << sessions_toml_;
    if (!start_hydrad_) return true;
    hydrad = std::make_unique<HydradProcess>(sbx.path(), dir + "/state",
                                             std::vector<std::string>{"--config", dir + "/hydra.toml"});
    return hydrad->start();
  }

  static bool wait_ping(const std::string& socket, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      if (trim(capture("curl -s -m 1 --unix-socket " + socket + " http://localhost/_ping")) == "OK") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  void teardown() {
    if (hydrad && hydrad->pid() > 0) {
      // Sessions first (their containers, dockerd, bridge), then hydrad.
      auto [status, body] = api("GET", "/api/v1/docker-instances");
      auto list = nlohmann::json::parse(body, nullptr, false);
      if (list.is_object() && list["instances"].is_array())
        for (const auto& s : list["instances"])
          (void)api("DELETE", "/api/v1/docker-instances/" + s["scope_type"].get<std::string>() + "/" +
                            s["scope_id"].get<std::string>());
      hydrad->stop(SIGTERM);
    }
    if (main_dockerd_ > 0) {
      sh("DOCKER_HOST=unix://" + main_socket() + " docker rm -f buildkit desktop hydrad");
      kill(main_dockerd_, SIGTERM);
      waitpid(main_dockerd_, nullptr, 0);
    }
    for (pid_t* p : {&httpd_, &resolver_})
      if (*p > 0) {
        kill(*p, SIGTERM);
        waitpid(*p, nullptr, 0);
      }
    // Safety net: anything still running from this world's directory.
    sh("for p in $(pgrep -f '" + dir + "'); do kill -9 $p; done");
    sh("for m in $(grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done");
    sh("rm -rf " + dir);
    remove_test_cgroups(dir);
  }
};

}  // namespace hydra::test
