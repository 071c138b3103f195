/// The fan-out itself: order, per-subscriber overflow, unsubscribe, shutdown.
import Testing
@testable import MetricsExporter

@Suite struct EventBroadcasterTests {
    @Test func everySubscriberGetsEveryEventInOrder() async {
        let broadcaster = EventBroadcaster()
        let first = broadcaster.subscribe()
        let second = broadcaster.subscribe()
        #expect(broadcaster.subscriberCount == 2)
        broadcaster.publish(EventFixtures.sequence(1...3))
        broadcaster.publish(EventFixtures.sequence(4...5))
        broadcaster.finishAll()
        #expect(await Array(first.stream).map(\.seq) == [1, 2, 3, 4, 5])
        #expect(await Array(second.stream).map(\.seq) == [1, 2, 3, 4, 5])
        #expect(broadcaster.subscriberCount == 0)
    }

    @Test func aSlowSubscriberOverflowsAloneAndPublishNeverWaits() async {
        let broadcaster = EventBroadcaster(bufferSize: 4)
        let slow = broadcaster.subscribe()  // never read until the end
        let fast = broadcaster.subscribe()
        var fastIterator = fast.stream.makeAsyncIterator()
        let clock = ContinuousClock()
        var longestPublish = Duration.zero
        for seq in Int64(1)...10 {
            let started = clock.now
            broadcaster.publish([EventFixtures.enabled(seq)])
            longestPublish = max(longestPublish, clock.now - started)
            #expect(await fastIterator.next()?.seq == seq)
            // The slow one is dropped at the event that does not fit, not later.
            #expect(broadcaster.subscriberCount == (seq <= 4 ? 2 : 1))
        }
        // A publish that waited for the slow subscriber would wait until the end of the test.
        #expect(longestPublish < .seconds(5))
        // The slow stream ends after the four it held: no gap, the client resumes after 4.
        #expect(await Array(slow.stream).map(\.seq) == [1, 2, 3, 4])
        // The fast one is still live.
        broadcaster.publish([EventFixtures.enabled(11)])
        #expect(await fastIterator.next()?.seq == 11)
    }

    @Test func unsubscribeEndsTheStream() async {
        let broadcaster = EventBroadcaster()
        let subscription = broadcaster.subscribe()
        broadcaster.publish([EventFixtures.enabled(1)])
        broadcaster.unsubscribe(subscription.id)
        #expect(broadcaster.subscriberCount == 0)
        broadcaster.publish([EventFixtures.enabled(2)])
        #expect(await Array(subscription.stream).map(\.seq) == [1])
    }

    @Test func cancellingTheReaderUnsubscribes() async throws {
        let broadcaster = EventBroadcaster()
        let subscription = broadcaster.subscribe()
        let reader = Task { for await _ in subscription.stream {} }
        reader.cancel()
        await reader.value
        #expect(broadcaster.subscriberCount == 0)
    }

    @Test func afterFinishAllNewSubscribersEndAtOnce() async {
        let broadcaster = EventBroadcaster()
        broadcaster.finishAll()
        let late = broadcaster.subscribe()
        broadcaster.publish([EventFixtures.enabled(1)])
        #expect(await Array(late.stream).isEmpty)
        #expect(broadcaster.subscriberCount == 0)
    }
}

extension Array {
    init<S: AsyncSequence>(_ sequence: S) async where S.Element == Element, S.Failure == Never {
        var result: [Element] = []
        for await element in sequence { result.append(element) }
        self = result
    }
}
