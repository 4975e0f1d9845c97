// SPDX-License-Identifier: Apache-2.0
// How fast a session starts warm from a golden data root, per filesystem:
// from the create request to the session's dockerd listing the image, for a
// golden of about 1 GiB in about 20,000 files (an imported image plus a
// container's writes), against starting empty and `docker load`-ing the same
// image. Loop-mounted btrfs, XFS and ext4 images; Debian's real dockerd, in
// the end-to-end tests' throwaway world. Warm page cache (the golden was
// just written). Each timed start begins with nothing left to write back on
// the filesystem (syncfs before it): a dockerd's start waits for the whole
// filesystem's writeback (its overlay2 check mounts and unmounts a test
// overlay, and the unmount syncs the upper filesystem), so without it the
// start from the golden paid for the `docker load` just before it.
//
// With [sessions] golden_spare on (the default; `--spare off` turns it off),
// a golden cloned by reflink keeps a clone made ahead: each timed start from
// it waits first until that spare is ready, and the table says how many
// starts took one.
//
//   golden_start [--files 20000] [--mib 1024] [--runs 3] [--fs btrfs|xfs|ext4] [--spare on|off]
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "../tests/e2e/loop_fs.hpp"
#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;
using hydra::test::DockerWorld;
using hydra::test::LoopFs;
using nlohmann::json;

namespace {

// FILES files of random bytes, MIB in all, spread over directories of 500,
// plus busybox (the image runs a shell), as an importable tar.
bool make_payload(const std::string& dir, int files, int mib) {
  const std::string root = dir + "/payload";
  if (hydra::test::sh("mkdir -p " + root + "/bin && cp /bin/busybox " + root + "/bin/ && ln -s busybox " + root +
                      "/bin/sh") != 0)
    return false;
  std::mt19937_64 rng(42);
  const size_t each = (static_cast<size_t>(mib) << 20) / static_cast<size_t>(files);
  std::string buf(each, '\0');
  for (int i = 0; i < files; ++i) {
    const std::string d = root + "/data/" + std::to_string(i / 500);
    if (i % 500 == 0 && hydra::test::sh("mkdir -p " + d) != 0) return false;
    for (size_t at = 0; at + 8 <= buf.size(); at += 8) {
      uint64_t v = rng();
      std::memcpy(buf.data() + at, &v, 8);
    }
    std::ofstream(d + "/" + std::to_string(i), std::ios::binary) << buf;
  }
  return hydra::test::sh("tar -C " + root + " -cf " + dir + "/payload.tar .") == 0;
}

std::string create_body(const std::string& id, const std::string& golden) {
  json b{{"scope_type", "session"}, {"scope_id", id}};
  if (!golden.empty()) b["golden"] = golden;
  return b.dump();
}

struct Row {
  std::string fs, method;
  double golden_s = 0;
  uint64_t bytes = 0, files = 0;
  std::vector<double> bare_s, empty_s, warm_s, clone_s;
  std::vector<double> warm_create_s, warm_start_s;  // the create answered; hydrad's start (clone + dockerd ready)
  int spares_taken = 0;
};

bool spares = true;

bool run(const std::string& type, const std::string& payload_dir, int runs, Row& row) {
  row.fs = type;
  LoopFs lfs(8192, type);
  if (!lfs.ok) return false;
  DockerWorld w(true, std::string("storage_driver = \"overlay2\"\ngolden_spare = ") + (spares ? "true" : "false") + "\n",
                true, lfs.mnt);
  if (!w.ok) return false;
  auto [st, body] = w.api("POST", "/api/v1/docker-instances", create_body("src", ""));
  if (st != 201) return false;
  const std::string src = json::parse(body)["docker_socket"];
  if (w.docker_rc(src, "import " + payload_dir + "/payload.tar payload:1") != 0 ||
      w.docker_rc(src, "save -o " + payload_dir + "/image-" + type + ".tar payload:1") != 0 ||
      w.docker_rc(src, "run --name writer payload:1 sh -c 'mkdir /w && i=0 && while [ $i -lt 1000 ]; do echo $i > "
                       "/w/$i; i=$((i+1)); done'") != 0 ||
      w.api("DELETE", "/api/v1/docker-instances/session/src").first != 200)
    return false;
  int64_t t0 = monotonic_us();
  auto [gst, gbody] = w.api("POST", "/api/v1/goldens", R"({"name":"g","from":"session/src"})");
  if (gst != 201) {
    std::fprintf(stderr, "golden_start: %s\n", gbody.c_str());
    return false;
  }
  row.golden_s = static_cast<double>(monotonic_us() - t0) / 1e6;
  const json g = json::parse(gbody);
  row.method = g["clone_method"];
  row.bytes = g["bytes"];
  row.files = g["files"];
  auto settle = [&] {
    UniqueFd fd(::open(lfs.mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd.valid() && ::syncfs(fd.get()) == 0;
  };
  auto lists = [&](const std::string& sock) {
    return w.docker(sock, "images -q payload:1").size() >= 12;
  };
  for (int i = 0; i < runs; ++i) {
    const std::string empty = "empty" + std::to_string(i), warm = "warm" + std::to_string(i);
    if (!settle()) return false;
    t0 = monotonic_us();
    auto [est, ebody] = w.api("POST", "/api/v1/docker-instances", create_body(empty, ""));
    if (est != 201) return false;
    row.bare_s.push_back(static_cast<double>(monotonic_us() - t0) / 1e6);
    const std::string esock = json::parse(ebody)["docker_socket"];
    if (w.docker_rc(esock, "load -q -i " + payload_dir + "/image-" + type + ".tar") != 0 || !lists(esock)) return false;
    row.empty_s.push_back(static_cast<double>(monotonic_us() - t0) / 1e6);
    if (spares && row.method == "reflink" &&
        !hydra::test::wait_until([&] { return json::parse(w.api("GET", "/api/v1/goldens/g").second)["spare"] == true; },
                                 120000, 50))
      return false;
    if (!settle()) return false;
    t0 = monotonic_us();
    auto [wst, wbody] = w.api("POST", "/api/v1/docker-instances", create_body(warm, "g"));
    if (wst != 201) return false;
    row.warm_create_s.push_back(static_cast<double>(monotonic_us() - t0) / 1e6);
    if (!lists(json::parse(wbody)["docker_socket"])) return false;
    row.warm_s.push_back(static_cast<double>(monotonic_us() - t0) / 1e6);
    for (const auto& e : w.hydrad->events())
      if (e["event"] == "session_cloned" && e["session"] == "session/" + warm) {
        row.clone_s.push_back(e["took_us"].get<double>() / 1e6);
        row.spares_taken += e.value("spare", false) ? 1 : 0;
      }
      else if (e["event"] == "session_started" && e["session"] == "session/" + warm)
        row.warm_start_s.push_back(e["start_us"].get<double>() / 1e6);
    // Purged again: each run starts from nothing, and the disk stays small.
    for (const auto& id : {empty, warm}) {
      (void)w.api("DELETE", "/api/v1/docker-instances/session/" + id);
      (void)w.api("DELETE", "/api/v1/docker-instances/session/" + id + "/data");
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int files = 20000, mib = 1024, runs = 3;
  std::vector<std::string> filesystems{"btrfs", "xfs", "ext4"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--files") files = std::stoi(argv[i + 1]);
    if (a == "--mib") mib = std::stoi(argv[i + 1]);
    if (a == "--runs") runs = std::stoi(argv[i + 1]);
    if (a == "--fs") filesystems = {argv[i + 1]};
    if (a == "--spare") spares = std::string(argv[i + 1]) != "off";
  }
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "golden_start: needs root and dockerd\n");
    return 1;
  }
  const std::string payload_dir = hydra::test::make_temp_dir("hydra-golden-bench");
  if (!make_payload(payload_dir, files, mib)) return 1;
  std::vector<Row> rows;
  for (const auto& fs : filesystems) {
    const char* type = fs.c_str();
    if (!hydra::test::kernel_has_fs(type)) continue;
    Row row;
    if (!run(type, payload_dir, runs, row)) {
      std::fprintf(stderr, "golden_start: the %s run failed\n", type);
      hydra::test::sh("rm -rf " + payload_dir);
      return 1;
    }
    rows.push_back(row);
  }
  hydra::test::sh("rm -rf " + payload_dir);
  std::printf("| filesystem | clone method | golden (bytes, files) | golden made in (s) | an empty session "
              "starts (s) | empty + docker load, to listing the image (s) | from the golden, to listing the image (s) "
              "| of which the clone (s) | from the golden / empty start |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf("| %s | %s | %.0f MiB, %llu | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× |\n", r.fs.c_str(),
                r.method.c_str(), static_cast<double>(r.bytes) / (1 << 20), static_cast<unsigned long long>(r.files),
                r.golden_s, percentile(r.bare_s, 0.5), percentile(r.empty_s, 0.5), percentile(r.warm_s, 0.5),
                percentile(r.clone_s, 0.5), percentile(r.warm_s, 0.5) / percentile(r.bare_s, 0.5));
  std::printf("\nWhere a start from the golden goes (medians, s):\n\n| filesystem | clone | clone to dockerd "
              "answering | create answered | answered to the image listed |\n|---|---:|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f |\n", r.fs.c_str(), percentile(r.clone_s, 0.5),
                percentile(r.warm_start_s, 0.5) - percentile(r.clone_s, 0.5), percentile(r.warm_create_s, 0.5),
                percentile(r.warm_s, 0.5) - percentile(r.warm_create_s, 0.5));
  std::printf("\nmedians of %d runs each; golden_spare %s", runs, spares ? "on: starts from a spare" : "off\n");
  if (spares)
    for (const auto& r : rows) std::printf(" %s %d/%zu", r.fs.c_str(), r.spares_taken, r.clone_s.size());
  std::printf("%s", spares ? "\n" : "");
  return 0;
}
