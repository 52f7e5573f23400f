// media::SerialWorker: one job at a time, a bounded queue, a drain that
// cancels what is left at its deadline. Ordered with latches, never timed.
#include "media/serial_worker.h"

#include <gtest/gtest.h>

#include <future>
#include <latch>

namespace hearth::media {
namespace {

TEST(SerialWorkerTest, RunsJobsInOrderAndBoundsItsQueue) {
  SerialWorker worker(2);
  std::latch started(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<int> order;
  std::mutex order_mutex;
  ASSERT_TRUE(worker
                  .post({.run =
                             [&](const std::atomic<bool>&) {
                               started.count_down();
                               released.wait();
                               std::lock_guard lock(order_mutex);
                               order.push_back(0);
                             },
                         .cancel = nullptr})
                  .ok());
  started.wait();  // the first runs; two more may wait
  for (int job_idx = 1; job_idx <= 2; ++job_idx) {
    ASSERT_TRUE(worker
                    .post({.run =
                               [&, job_idx](const std::atomic<bool>&) {
                                 std::lock_guard lock(order_mutex);
                                 order.push_back(job_idx);
                               },
                           .cancel = nullptr})
                    .ok());
  }
  const Status full = worker.post({.run = [](const std::atomic<bool>&) {}, .cancel = nullptr});
  EXPECT_EQ(full.code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(worker.n_waiting(), 2);
  release.set_value();
  EXPECT_EQ(worker.drain(1'000'000, "done"), 0);  // a generous deadline: everything finishes first
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(worker.n_done(), 3);
}

TEST(SerialWorkerTest, DrainAtItsDeadlineCancelsTheQueueAndTheRunningJob) {
  SerialWorker worker(4);
  std::latch started(1);
  std::promise<bool> saw_cancel;
  ASSERT_TRUE(worker
                  .post({.run =
                             [&](const std::atomic<bool>& cancelled) {
                               started.count_down();
                               while (!cancelled.load()) std::this_thread::yield();
                               saw_cancel.set_value(true);
                             },
                         .cancel = nullptr})
                  .ok());
  std::promise<Status> queued_status;
  ASSERT_TRUE(worker
                  .post({.run = [](const std::atomic<bool>&) {},
                         .cancel = [&](Status why) { queued_status.set_value(std::move(why)); }})
                  .ok());
  started.wait();
  EXPECT_EQ(worker.drain(0, "the server is shutting down"), 2);
  EXPECT_TRUE(saw_cancel.get_future().get());
  const Status cancelled = queued_status.get_future().get();
  EXPECT_EQ(cancelled.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(cancelled.message(), "the server is shutting down");
  EXPECT_EQ(worker.post({.run = [](const std::atomic<bool>&) {}, .cancel = nullptr}).code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hearth::media
