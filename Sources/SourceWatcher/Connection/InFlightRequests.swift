/// The correlation bookkeeping of one broker connection, as a value type: which requests are
/// waiting for an answer, under which correlation id, and what to do when an answer, a
/// timeout or a close arrives. No I/O here; `KafkaClientHandler` performs the actions.
public struct InFlightRequests<Waiter> {
    public struct Entry {
        public let apiKey: APIKey
        public let apiVersion: Int16
        public let responseHeaderIsFlexible: Bool
        public let waiter: Waiter
    }

    public enum ReceiveAction {
        /// Hand the body to this waiter.
        case deliver(Entry)
        /// A correlation id nobody waits for: the stream is out of step, so the connection
        /// cannot be trusted any more.
        case protocolViolation(correlationID: Int32)
    }

    private var nextCorrelationID: Int32 = 0
    private var waiting: [Int32: Entry] = [:]
    private(set) public var isClosed = false

    public init() {}

    public var count: Int { waiting.count }

    /// Registers a request about to be written and returns its correlation id, or nil when the
    /// connection has already closed (the caller fails the request instead of writing).
    public mutating func register(apiKey: APIKey, apiVersion: Int16, responseHeaderIsFlexible: Bool, waiter: Waiter) -> Int32? {
        guard !isClosed else { return nil }
        let id = nextCorrelationID
        // Wrap rather than trap after 2^31 requests on a long-lived connection.
        nextCorrelationID = nextCorrelationID == .max ? 0 : nextCorrelationID + 1
        waiting[id] = Entry(apiKey: apiKey, apiVersion: apiVersion, responseHeaderIsFlexible: responseHeaderIsFlexible, waiter: waiter)
        return id
    }

    /// Which response header version to expect for this id (flexible → tagged fields follow it).
    public func headerIsFlexible(correlationID: Int32) -> Bool? {
        waiting[correlationID]?.responseHeaderIsFlexible
    }

    public mutating func receive(correlationID: Int32) -> ReceiveAction {
        guard let entry = waiting.removeValue(forKey: correlationID) else {
            return .protocolViolation(correlationID: correlationID)
        }
        return .deliver(entry)
    }

    /// A request's deadline passed: returns its entry if it was still waiting.
    public mutating func timeOut(correlationID: Int32) -> Entry? {
        waiting.removeValue(forKey: correlationID)
    }

    /// The connection is gone: every waiter is returned to be failed, and no new request is taken.
    public mutating func close() -> [Entry] {
        isClosed = true
        let entries = waiting.sorted { $0.key < $1.key }.map(\.value)
        waiting.removeAll()
        return entries
    }
}
