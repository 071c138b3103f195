/// `InFlightRequests`: correlation ids, delivery, timeouts, close, and the out-of-step case.
import Testing
@testable import SourceWatcher

@Suite struct InFlightRequestsTests {
    private typealias Requests = InFlightRequests<String>

    @Test func registeredRequestsGetDistinctIDsAndAreDeliveredToTheirWaiter() throws {
        var requests = Requests()
        let firstID = requests.register(apiKey: .metadata, apiVersion: 12, responseHeaderIsFlexible: true, waiter: "a")
        let first = try #require(firstID)
        let secondID = requests.register(apiKey: .listOffsets, apiVersion: 7, responseHeaderIsFlexible: false, waiter: "b")
        let second = try #require(secondID)
        #expect(first != second)
        #expect(requests.count == 2)
        #expect(requests.headerIsFlexible(correlationID: first) == true)
        #expect(requests.headerIsFlexible(correlationID: second) == false)

        // Answers may come in any order; each reaches its own waiter.
        guard case .deliver(let entryB) = requests.receive(correlationID: second) else {
            Issue.record("expected delivery"); return
        }
        #expect(entryB.waiter == "b")
        #expect(entryB.apiKey == .listOffsets)
        #expect(entryB.apiVersion == 7)
        guard case .deliver(let entryA) = requests.receive(correlationID: first) else {
            Issue.record("expected delivery"); return
        }
        #expect(entryA.waiter == "a")
        #expect(requests.count == 0)
    }

    @Test func unknownOrRepeatedCorrelationIDIsAProtocolViolation() throws {
        var requests = Requests()
        let idID = requests.register(apiKey: .metadata, apiVersion: 1, responseHeaderIsFlexible: false, waiter: "a")
        let id = try #require(idID)
        guard case .protocolViolation(let unknown) = requests.receive(correlationID: id + 100) else {
            Issue.record("expected a protocol violation"); return
        }
        #expect(unknown == id + 100)
        guard case .deliver = requests.receive(correlationID: id) else { Issue.record("expected delivery"); return }
        guard case .protocolViolation(id) = requests.receive(correlationID: id) else {
            Issue.record("a second answer to the same id must be a violation"); return
        }
    }

    @Test func timeoutRemovesOnlyThatRequestOnce() throws {
        var requests = Requests()
        let slowID = requests.register(apiKey: .listOffsets, apiVersion: 1, responseHeaderIsFlexible: false, waiter: "slow")
        let slow = try #require(slowID)
        let fastID = requests.register(apiKey: .listOffsets, apiVersion: 1, responseHeaderIsFlexible: false, waiter: "fast")
        let fast = try #require(fastID)
        #expect(requests.timeOut(correlationID: slow)?.waiter == "slow")
        #expect(requests.timeOut(correlationID: slow) == nil)
        #expect(requests.count == 1)
        // A late answer to the timed-out request no longer matches anything.
        guard case .protocolViolation = requests.receive(correlationID: slow) else { Issue.record("expected violation"); return }
        guard case .deliver(let entry) = requests.receive(correlationID: fast) else { Issue.record("expected delivery"); return }
        #expect(entry.waiter == "fast")
    }

    @Test func closeReturnsEveryWaiterInOrderAndRefusesNewRequests() throws {
        var requests = Requests()
        for waiter in ["a", "b", "c"] {
            let id = requests.register(apiKey: .metadata, apiVersion: 1, responseHeaderIsFlexible: false, waiter: waiter)
            #expect(id != nil)
        }
        #expect(requests.close().map(\.waiter) == ["a", "b", "c"])
        #expect(requests.isClosed)
        #expect(requests.count == 0)
        #expect(requests.register(apiKey: .metadata, apiVersion: 1, responseHeaderIsFlexible: false, waiter: "late") == nil)
        #expect(requests.close().isEmpty)
    }
}
