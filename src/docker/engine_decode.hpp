// SPDX-License-Identifier: Apache-2.0
// Decoders of what a dockerd answers (the Engine API's bodies and its event
// stream), pure and non-throwing: any bytes give a value or an error, never an
// exception (fuzz/fuzz_engine_answers.cpp). EngineClient and the desktop link
// read a dockerd only through these and container_networking.hpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace hydra::docker {

struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading '/'; the short id when it has none
};

// GET /containers/json: entries that are not objects or have no string Id
// are left out.
Result<std::vector<ContainerSummary>> decode_container_list(std::string_view body);
// How many entries the list has (every one counts, as dockerd listed it).
Result<size_t> decode_container_count(std::string_view body);
// GET /containers/ID/json: the pid of a running container.
Result<pid_t> decode_container_pid(std::string_view body);
// An error body's "message", else the body itself.
std::string decode_error_message(std::string_view body);
// One line of GET /events: its timeNano (0 when it has none); nullopt when
// the line is not a JSON object.
std::optional<int64_t> decode_event_time(std::string_view line);

}  // namespace hydra::docker
