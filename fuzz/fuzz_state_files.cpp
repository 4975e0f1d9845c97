// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as a file hydrad reads at start — sessions.json and
// a bridge snapshot, a golden's golden.json. Never a crash or an exception: bad input is an error
// or skipped entries, and what decodes re-encodes to the same records.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/bridge_snapshot.hpp"
#include "session/storage/golden_store.hpp"
#include "session/manager/session_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto d = hydra::session::decode_session_records(text)) {
    auto again = hydra::session::decode_session_records(hydra::session::encode_session_records(d->records));
    if (!again || again->records != d->records || !again->skipped.empty()) std::abort();
  }
  if (auto g = hydra::session::parse_golden_json(text)) {
    auto again = hydra::session::parse_golden_json(hydra::session::golden_json(*g));
    if (!again || again->name != g->name || again->bytes != g->bytes || again->last_used_unix != g->last_used_unix)
      std::abort();
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    if (auto snap = hydra::net::snapshot_from_json(j)) {
      auto again = hydra::net::snapshot_from_json(hydra::net::snapshot_to_json(*snap));
      if (!again || !(*again == *snap)) std::abort();
    }
  }
  return 0;
}
