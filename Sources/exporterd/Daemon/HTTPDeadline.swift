/// A deadline over a whole HTTP exchange. AsyncHTTPClient's `execute(_:timeout:)` deadline ends
/// when the response head arrives; the body is then read with no limit, so an agent or state
/// endpoint that sends its headers and stalls would hang the poll. This bounds head and body.

/// The exchange did not complete within its timeout.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "no complete answer within \(timeout)" }
}

/// Runs `operation`, cancelling it and throwing `DeadlineExceeded` once `timeout` has passed.
/// AsyncHTTPClient cancels the request (and its body stream) when its task is cancelled.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(timeout: timeout) }
        return value
    }
}
