import Foundation
import PTBCore
import Synchronization
import Testing

/// The one per-sample loop of generation, scoring and judging.
struct SampleRunnerTests {
    final class Gauge: Sendable {
        let now = Mutex(0)
        let peak = Mutex(0)
        func enter() { let n = now.withLock { $0 += 1; return $0 }; peak.withLock { $0 = max($0, n) } }
        func leave() { now.withLock { $0 -= 1 } }
    }

    @Test(arguments: [1, 3, 50]) func resultsInJobOrderAndAtMostWidthAtOnce(_ width: Int) async throws {
        let gauge = Gauge()
        var seen: [Int] = []
        let out = try await SampleRunner(width: width).map(20, onResult: { i, v in
            #expect(v == i * i)
            seen.append(i)
        }) { i in
            gauge.enter()
            defer { gauge.leave() }
            // Later jobs finish first: order must come from the index, not from completion.
            try await Task.sleep(for: .milliseconds(20 - i))
            return i * i
        }
        #expect(out == (0..<20).map { $0 * $0 })
        #expect(seen.sorted() == Array(0..<20))
        #expect(gauge.peak.withLock { $0 } <= min(width, 20))
        #expect(gauge.peak.withLock { $0 } >= 1)
    }

    struct Boom: Error, Equatable {}

    /// A noncopyable `Mutex` cannot be captured by an escaping closure; a class holding one can.
    final class Shared<T: Sendable>: Sendable {
        let value: Mutex<T>
        init(_ v: T) { value = Mutex(v) }
        func update(_ f: (inout T) -> Void) { value.withLock { f(&$0) } }
        var current: T { value.withLock { $0 } }
    }

    @Test func aThrowingJobStopsTheRunAndNoMoreStart() async {
        let started = Shared(0)
        await #expect(throws: Boom.self) {
            _ = try await SampleRunner(width: 2).map(100) { i -> Int in
                started.update { $0 += 1 }
                if i == 3 { throw Boom() }
                try await Task.sleep(for: .milliseconds(5))
                return i
            }
        }
        #expect(started.current < 100)
    }

    @Test func failuresAsValuesDoNotStopTheOthers() async {
        let out = await SampleRunner.unbounded.mapAll(10) { i -> Result<Int, Boom> in i % 3 == 0 ? .failure(Boom()) : .success(i) }
        #expect(out.compactMap { try? $0.get() } == [1, 2, 4, 5, 7, 8])
        #expect(await SampleRunner(width: 4).mapAll(0) { $0 }.isEmpty)
        #expect(SampleRunner(width: 0).width == 1)
    }

    @Test func aCountedProgressLineReportsEveryStep() {
        let steps = Shared<[Int]>([])
        let p = ProgressLine(.counted(total: 3), label: "arith", enabled: false) { done, total in
            #expect(total == 3)
            steps.update { $0.append(done) }
        }
        p.step(correct: true)
        p.step()
        p.step(correct: true)
        #expect(steps.current == [1, 2, 3])
    }
}
