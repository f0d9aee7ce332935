// ThreadPool: parallel_for covers [0, n) exactly once in contiguous per-thread ranges, run() hands
// every thread its own index and returns only when all are done, thousands of back-to-back
// operations (with and without the workers falling asleep in between) neither lose a wake-up nor
// hang, destruction is prompt, and bad thread counts are refused.
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <q8/error.h>

#include "thread_pool.h"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Runs body on a separate thread and waits at most limit for it. A hang fails the test instead of
// blocking the suite until CTest's timeout; the stuck thread is left behind (detached).
bool finishes_within(std::chrono::milliseconds limit, std::function<void()> body, QString* error) {
    auto done = std::make_shared<std::promise<QString>>();
    std::future<QString> result = done->get_future();
    std::thread([done, body = std::move(body)] {
        try {
            body();
            done->set_value(QString());
        } catch (const std::exception& e) {
            done->set_value(QStringLiteral("exception: ") + QString::fromUtf8(e.what()));
        }
    }).detach();
    if (result.wait_for(limit) != std::future_status::ready) {
        *error = QStringLiteral("did not finish within %1 ms (lost wake-up or deadlock?)").arg(limit.count());
        return false;
    }
    *error = result.get();
    return error->isEmpty();
}

}  // namespace

class TestThreadPool : public QObject {
    Q_OBJECT

private slots:
    void parallel_for_covers_once_data() {
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("n");
        for (int t : {1, 2, 3, 4}) {
            for (int n : {0, 1, 2, 3, 1000}) QTest::addRow("threads=%d n=%d", t, n) << t << n;
        }
    }
    void parallel_for_covers_once() {
        QFETCH(int, threads);
        QFETCH(int, n);
        q8::ThreadPool pool(threads);
        QCOMPARE(pool.size(), threads);
        const auto un = static_cast<size_t>(n);
        // Several operations on one pool, so a stale range from the previous one would show.
        for (int rep = 0; rep < 5; ++rep) {
            std::vector<std::atomic<int>> hits(un);
            std::mutex m;
            std::vector<std::pair<size_t, size_t>> ranges;
            pool.parallel_for(un, [&](size_t begin, size_t end) {
                {
                    std::lock_guard lock(m);
                    ranges.emplace_back(begin, end);
                }
                for (size_t i = begin; i < end && i < un; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
            });
            for (size_t i = 0; i < un; ++i) {
                QVERIFY2(hits[i].load() == 1,
                         qPrintable(QStringLiteral("index %1 visited %2 times").arg(i).arg(hits[i].load())));
            }
            // Contiguous, non-empty, in range, at most one per thread.
            QVERIFY(ranges.size() <= static_cast<size_t>(threads));
            std::sort(ranges.begin(), ranges.end());
            size_t next = 0;
            for (const auto& [b, e] : ranges) {
                QVERIFY2(b < e && e <= un, qPrintable(QStringLiteral("range [%1, %2) of n=%3").arg(b).arg(e).arg(un)));
                QCOMPARE(b, next);
                next = e;
            }
            QCOMPARE(next, un);
            if (n == 0) QVERIFY(ranges.empty());  // nothing to do: fn is not called
        }
    }

    // Each thread gets its own index and the pool size; index 0 is the calling thread; run()
    // returns only after every thread has finished (the workers here finish late on purpose).
    void run_indices_data() {
        QTest::addColumn<int>("threads");
        for (int t : {1, 2, 3, 4, 8}) QTest::addRow("threads=%d", t) << t;
    }
    void run_indices() {
        QFETCH(int, threads);
        q8::ThreadPool pool(threads);
        const std::thread::id caller = std::this_thread::get_id();
        for (int rep = 0; rep < 3; ++rep) {
            std::vector<std::atomic<int>> calls(static_cast<size_t>(threads));
            std::vector<std::atomic<bool>> done(static_cast<size_t>(threads));
            std::vector<std::thread::id> ids(static_cast<size_t>(threads));
            std::atomic<int> bad_count{0}, bad_index{0};
            pool.run([&](int index, int n) {
                if (n != threads) bad_count.fetch_add(1);
                if (index < 0 || index >= threads) {
                    bad_index.fetch_add(1);
                    return;
                }
                const auto i = static_cast<size_t>(index);
                calls[i].fetch_add(1);
                ids[i] = std::this_thread::get_id();
                if (index != 0) std::this_thread::sleep_for(20ms);
                done[i].store(true);
            });
            QCOMPARE(bad_count.load(), 0);
            QCOMPARE(bad_index.load(), 0);
            for (int i = 0; i < threads; ++i) {
                QCOMPARE(calls[static_cast<size_t>(i)].load(), 1);
                QVERIFY2(done[static_cast<size_t>(i)].load(),
                         qPrintable(QStringLiteral("run() returned before thread %1 finished").arg(i)));
            }
            QVERIFY(ids[0] == caller);
            const std::set<std::thread::id> distinct(ids.begin(), ids.end());
            QCOMPARE(distinct.size(), static_cast<size_t>(threads));
        }
    }

    // Thousands of operations back to back: tight (workers still spinning), and with pauses long
    // enough for the workers to fall asleep, so both wake-up paths are exercised. Every operation
    // must reach every thread exactly once, and the whole lot must finish within 20 s.
    void back_to_back_data() {
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("ops");
        QTest::addColumn<int>("pause_every");  // 0: never pause
        for (int t : {2, 3, 4}) {
            QTest::addRow("threads=%d tight", t) << t << 2500 << 0;
            QTest::addRow("threads=%d with sleeps", t) << t << 600 << 3;
        }
    }
    void back_to_back() {
        QFETCH(int, threads);
        QFETCH(int, ops);
        QFETCH(int, pause_every);
        auto pool = std::make_shared<q8::ThreadPool>(threads);
        auto per_thread = std::make_shared<std::vector<std::atomic<long>>>(static_cast<size_t>(threads));
        auto covered = std::make_shared<std::atomic<long>>(0);
        QString error;
        const bool ok = finishes_within(
            20000ms,
            [=] {
                for (int op = 0; op < ops; ++op) {
                    if (op % 2 == 0) {
                        pool->run([&](int index, int) { (*per_thread)[static_cast<size_t>(index)].fetch_add(1); });
                    } else {
                        const size_t n = static_cast<size_t>(op % 97);
                        pool->parallel_for(n,
                                           [&](size_t b, size_t e) { covered->fetch_add(static_cast<long>(e - b)); });
                    }
                    if (pause_every > 0 && op % pause_every == 0) std::this_thread::sleep_for(5ms);
                }
            },
            &error);
        QVERIFY2(ok, qPrintable(error));
        long want_covered = 0;
        for (int op = 1; op < ops; op += 2) want_covered += op % 97;
        QCOMPARE(covered->load(), want_covered);
        for (int i = 0; i < threads; ++i) QCOMPARE((*per_thread)[static_cast<size_t>(i)].load(), long((ops + 1) / 2));
    }

    // Destroying a pool whose workers are asleep (or were never used) wakes and joins them
    // promptly; creating and destroying pools in quick succession (workers still starting up)
    // neither hangs nor crashes.
    void destruction_is_prompt() {
        QString error;
        QVERIFY2(finishes_within(
                     10000ms,
                     [] {
                         auto pool = std::make_unique<q8::ThreadPool>(4);
                         pool->run([](int, int) {});
                         std::this_thread::sleep_for(200ms);  // workers stop spinning and sleep
                         const auto t0 = Clock::now();
                         pool.reset();
                         if (Clock::now() - t0 > 2s) throw std::runtime_error("destroying an idle pool took > 2 s");
                     },
                     &error),
                 qPrintable(error));
        QVERIFY2(finishes_within(
                     10000ms,
                     [] {
                         for (int i = 0; i < 200; ++i) {
                             q8::ThreadPool pool(1 + i % 4);
                             if (i % 3 == 0) pool.run([](int, int) {});
                         }
                     },
                     &error),
                 qPrintable(error));
    }

    void bad_thread_counts() {
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, q8::ThreadPool(0));
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, q8::ThreadPool(-1));
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, q8::ThreadPool(-1000));
        q8::ThreadPool one(1);  // the caller alone
        QCOMPARE(one.size(), 1);
        std::thread::id who;
        one.run([&](int index, int n) {
            QCOMPARE(index, 0);
            QCOMPARE(n, 1);
            who = std::this_thread::get_id();
        });
        QVERIFY(who == std::this_thread::get_id());
        QVERIFY(q8::default_thread_count() >= 1);
    }

    // An exception on the calling thread surfaces only after every worker has finished its share.
    void caller_exception_waits_for_workers() {
        q8::ThreadPool pool(2);
        std::atomic<bool> worker_done{false};
        bool caught = false;
        try {
            pool.run([&](int t, int) {
                if (t == 0) throw std::runtime_error("boom");
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                worker_done = true;
            });
        } catch (const std::runtime_error&) {
            caught = true;
            QVERIFY(worker_done.load());
        }
        QVERIFY(caught);
        std::atomic<int> ran{0};
        pool.run([&](int, int) { ++ran; });  // still usable
        QCOMPARE(ran.load(), 2);
    }
};

QTEST_GUILESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
