// SPDX-License-Identifier: Apache-2.0
// What hydrad remembers of its sessions across restarts (sessions.json), and
// which session indexes are free. Decoding never throws: a bad entry is
// skipped and named, a file that is not a JSON array of entries is moved
// aside — hydrad starts either way.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/file_writer.hpp"
#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

struct SessionRecord {
  SessionKey key;
  std::string user_id;
  int index = 0;
  bool index_held = false;  // its hydraN (and dockerd) may still exist
  int64_t started_unix = 0;
  int64_t created_unix = 0;  // first create; kept until the data is purged
  int max_containers = 0;    // 0: no limit
  bool host_docker = false;  // the main dockerd itself (privileged mode)
  std::string desktop_container;
  pid_t desktop_pid = 0;
  // The network its dockerd was started in: kept for adoption even when the
  // configuration changed since ("network" absent: shared, as before).
  NetworkMode network = NetworkMode::kShared;
  // The bridged desktop's resolv.conf as it was before hydrad pointed it at
  // the session's resolver: put back on unbridge, also by the next hydrad.
  std::string desktop_resolv;
  int64_t stopped_unix = 0;  // when it last stopped (garbage collection's clock)
  std::string golden;        // the golden its data root was cloned from ("" none)
  ResourceLimits limits;     // what it was started with ("limits" absent: none)
  friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

struct DecodedRecords {
  std::vector<SessionRecord> records;
  std::vector<std::string> skipped;  // one line per entry that was left out, and why
};

// EBADMSG when the text is not a JSON array.
Result<DecodedRecords> decode_session_records(const std::string& text);
std::string encode_session_records(const std::vector<SessionRecord>& records);

// The lowest index in [kMinIndex, max_index] not in `held`.
std::optional<int> lowest_free_index(const std::set<int>& held, int max_index = kMaxIndex);

class SessionStore {
 public:
  SessionStore(std::string path, FileWriter& writer) : path_(std::move(path)), writer_(writer) {}

  struct Loaded {
    std::vector<SessionRecord> records;
    std::vector<std::string> skipped;
    std::string moved_aside;  // where an undecodable file went ("" if none)
  };
  // Reads the file (absent: nothing). One that does not decode is moved
  // aside to PATH.corrupt-<time>; the error is then only for the report.
  Result<Loaded> load() const;
  // Replaces the file soon, from the writer's thread.
  void save(const std::vector<SessionRecord>& records) { writer_.submit(path_, encode_session_records(records)); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  FileWriter& writer_;
};

}  // namespace hydra::session
