#include "api/background_threads.h"

namespace hearth::api {

bool BackgroundThreads::spawn(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (stop_.load()) return false;
  // Threads that finished are joined now (at once: they have returned) rather than kept.
  std::erase_if(threads_, [](Running& running) {
    if (!running.done->load()) return false;
    running.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  threads_.push_back(Running{std::thread([work = std::move(work), done] {
                               work();
                               done->store(true);
                             }),
                             done});
  return true;
}

void BackgroundThreads::stop_and_join() {
  request_stop();
  std::vector<Running> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (Running& running : threads) {
    if (running.thread.joinable()) running.thread.join();
  }
}

}  // namespace hearth::api
