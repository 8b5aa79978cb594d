// A small fixed pool of worker threads for GEMM, sized by LATENT_THREADS
// (default 1: no threads at all). Tasks are handed out by an atomic counter;
// which thread runs a task never changes what the task computes, so results
// do not depend on scheduling.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "kernels.h"

namespace latent {

int threadCount() {
  static const int count = [] {
    const char* env = std::getenv("LATENT_THREADS");
    long n = env ? std::strtol(env, nullptr, 10) : 1;
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    return static_cast<int>(n);
  }();
  return count;
}

namespace {

class Pool {
 public:
  explicit Pool(int workers) {
    for (int w = 0; w < workers; w++) std::thread([this] { loop(); }).detach();
    workers_ = workers;
  }

  /** Runs the job on the workers and the calling thread; false if another call is using the pool. */
  bool run(int tasks, void (*task)(void*, int), void* ctx) {
    std::unique_lock<std::mutex> busy(callMutex_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = task;
      ctx_ = ctx;
      tasks_ = tasks;
      next_.store(0);
      finished_ = 0;
      generation_++;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return finished_ == workers_; });
    return true;
  }

 private:
  void work() {
    for (int i = next_.fetch_add(1); i < tasks_; i = next_.fetch_add(1)) task_(ctx_, i);
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
      }
      work();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_++;
      }
      done_.notify_one();
    }
  }

  std::mutex callMutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  int workers_ = 0;
  uint64_t generation_ = 0;
  void (*task_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};
  int finished_ = 0;
};

Pool* pool() {
  // Never destroyed: detached workers stay parked until the process exits.
  static Pool* p = threadCount() > 1 ? new Pool(threadCount() - 1) : nullptr;
  return p;
}

}  // namespace

void parallelFor(int tasks, void (*task)(void* ctx, int i), void* ctx) {
  Pool* p = tasks > 1 ? pool() : nullptr;
  if (p && p->run(tasks, task, ctx)) return;
  for (int i = 0; i < tasks; i++) task(ctx, i);
}

}  // namespace latent
