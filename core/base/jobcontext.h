#pragma once

#include <QFuture>
#include <QPromise>

#include <atomic>
#include <cstdint>
#include <functional>

namespace tantra {

// What a long core function needs from whoever runs it: a cancel flag it polls, and a sink
// for progress in bytes (or items). Thread-safe: parallel workers of one job share it.
// The CLI drives one directly; the GUI wires it to a QPromise (see bindPromise).
class JobContext
{
public:
    JobContext() = default;
    JobContext(const JobContext &) = delete;
    JobContext &operator=(const JobContext &) = delete;

    void cancel() { m_canceled.store(true, std::memory_order_relaxed); }
    bool isCanceled() const
    {
        return m_canceled.load(std::memory_order_relaxed) || (m_externalCancel && m_externalCancel());
    }
    void setCancelCheck(std::function<bool()> check) { m_externalCancel = std::move(check); }

    void addTotal(std::uint64_t amount) { m_total.fetch_add(amount, std::memory_order_relaxed); }
    void advance(std::uint64_t amount)
    {
        const std::uint64_t done = m_done.fetch_add(amount, std::memory_order_relaxed) + amount;
        if (!m_onProgress)
            return;
        const std::uint64_t total = m_total.load(std::memory_order_relaxed);
        const int permille = total ? int(std::min<std::uint64_t>(1000, done * 1000 / total)) : 0;
        // Report only when the per-mille value moves, and only once per value across threads.
        int last = m_lastPermille.load(std::memory_order_relaxed);
        while (permille > last) {
            if (m_lastPermille.compare_exchange_weak(last, permille, std::memory_order_relaxed)) {
                m_onProgress(permille, done, total);
                break;
            }
        }
    }
    // Called from worker threads, at most once per per-mille step.
    void setProgressCallback(std::function<void(int permille, std::uint64_t done, std::uint64_t total)> callback)
    {
        m_onProgress = std::move(callback);
    }

    std::uint64_t done() const { return m_done.load(std::memory_order_relaxed); }
    std::uint64_t total() const { return m_total.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_canceled{false};
    std::atomic<std::uint64_t> m_done{0};
    std::atomic<std::uint64_t> m_total{0};
    std::atomic<int> m_lastPermille{-1};
    std::function<bool()> m_externalCancel;
    std::function<void(int, std::uint64_t, std::uint64_t)> m_onProgress;
};

// Wires a JobContext to a QPromise: cancelling the future cancels the job, progress goes to
// the promise as 0..1000. For `QtConcurrent::run([](QPromise<T> &p) { … })` jobs.
template<typename T>
void bindPromise(JobContext &job, QPromise<T> &promise)
{
    promise.setProgressRange(0, 1000);
    job.setCancelCheck([&promise] { return promise.isCanceled(); });
    job.setProgressCallback([&promise](int permille, std::uint64_t, std::uint64_t) { promise.setProgressValue(permille); });
}

} // namespace tantra
