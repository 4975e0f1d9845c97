// SPDX-License-Identifier: Apache-2.0
#include "api/event_stream.hpp"

#include <algorithm>

namespace hydra::api {

void EventStream::publish(const std::string& line) {
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [](const auto& w) { return w.expired(); });
  for (auto& w : subs_) {
    auto s = w.lock();
    if (!s) continue;
    std::lock_guard sl(s->mu);
    if (s->lines.size() >= kMaxQueued) s->overflowed = true;
    else s->lines.push_back(line);
    s->ready.notify_one();
  }
}

std::shared_ptr<EventStream::Subscriber> EventStream::subscribe() {
  auto s = std::make_shared<Subscriber>();
  std::lock_guard lock(mu_);
  subs_.push_back(s);
  return s;
}

size_t EventStream::subscribers() {
  std::lock_guard lock(mu_);
  return static_cast<size_t>(std::count_if(subs_.begin(), subs_.end(), [](const auto& w) { return !w.expired(); }));
}

}  // namespace hydra::api
