// examples/refhost/bolt/worker_pool.hpp: the threads Bolt requests run on,
// with two lanes. Urgent work goes first: the requests of a transaction
// that holds a database's write lock, or was just granted it. Every other
// writer waits for that transaction's next request (its COMMIT releases the
// lock), so it must not queue behind hundreds of reads.
//
// No work that runs here waits for a lock (a request that needs the write
// lock gives its worker back and is resumed when the lock is granted), so
// a fixed number of threads serves any number of connections.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace refhost::bolt {

class WorkerPool {
public:
    explicit WorkerPool(size_t threads);
    ~WorkerPool();  // join()
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `fn`; after join() it is destroyed unrun.
    void post(std::function<void()> fn, bool urgent = false);
    // Runs what is queued, then ends the threads. Idempotent.
    void join();
    size_t queued() const;

private:
    void run();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> urgent_;
    std::deque<std::function<void()>> normal_;
    bool joining_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace refhost::bolt
