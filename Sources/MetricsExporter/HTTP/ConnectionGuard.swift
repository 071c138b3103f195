/// Holds the HTTP server up against clients that open connections and never finish a request
/// (slowloris) or never close them: a deadline for each connection's first complete request
/// head, and a cap on open connections that, when reached, closes the oldest connection still
/// waiting for a request head rather than refusing newcomers. A scraper sends its request the
/// moment it connects, so it is never the oldest waiter for long; a flood of silent
/// connections therefore cannot lock `/metrics` out. Idle keep-alive connections count as
/// waiting too (closing one costs its client a reconnect); a connection whose request is in
/// progress is never chosen. Hummingbird's `idleTimeout` bounds what follows the first request.
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Every open connection of one server, shared by their `ConnectionGuard`s (which run on
/// different event loops, hence the lock; it is held only to update the table).
public final class OpenConnections: Sendable {
    public let limit: Int
    private struct Entry {
        var channel: any Channel
        /// When it last started waiting for a request head; nil while a request is in progress.
        var waitingSince: UInt64?
    }
    private struct Table {
        var entries: [ObjectIdentifier: Entry] = [:]
        var sequence: UInt64 = 0
        var evicted = 0
    }
    private let table = NIOLockedValueBox(Table())

    public init(limit: Int) {
        precondition(limit > 0, "a server needs room for one connection")
        self.limit = limit
    }

    public var count: Int { table.withLockedValue { $0.entries.count } }
    /// Connections closed to make room for newer ones since the server started.
    public var evictedCount: Int { table.withLockedValue { $0.evicted } }

    /// Registers `channel`; returns the connection to close when the cap is passed: the one
    /// waiting longest for a request head (possibly `channel` itself when every other
    /// connection is busy with a request).
    func opened(_ channel: any Channel) -> (any Channel)? {
        table.withLockedValue { table in
            table.sequence += 1
            table.entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: table.sequence)
            guard table.entries.count > limit else { return nil }
            var oldest: (id: ObjectIdentifier, since: UInt64)?
            for (id, entry) in table.entries {
                guard let since = entry.waitingSince else { continue }
                if oldest.map({ since < $0.since }) ?? true { oldest = (id, since) }
            }
            guard let oldest, let victim = table.entries.removeValue(forKey: oldest.id) else { return nil }
            table.evicted += 1
            return victim.channel
        }
    }

    func requestStarted(_ channel: any Channel) {
        table.withLockedValue { $0.entries[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    func responseFinished(_ channel: any Channel) {
        table.withLockedValue { table in
            table.sequence += 1
            table.entries[ObjectIdentifier(channel)]?.waitingSince = table.sequence
        }
    }

    func closed(_ channel: any Channel) {
        _ = table.withLockedValue { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// One connection's guard, placed after the HTTP decoder so it sees whole request heads (and,
/// behind TLS, the handshake counts against the head deadline too).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let connections: OpenConnections
    private let headerReadTimeout: TimeAmount
    private var headDeadline: Scheduled<Void>?
    private var registered = false

    init(connections: OpenConnections, headerReadTimeout: TimeAmount) {
        self.connections = connections
        self.headerReadTimeout = headerReadTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context)
        context.fireChannelActive()
    }

    /// Counts the connection in (closing one to make room when the cap is passed) and starts
    /// its head deadline; once, whichever of `handlerAdded` and `channelActive` comes first
    /// with the channel active.
    private func register(_ context: ChannelHandlerContext) {
        guard !registered else { return }
        registered = true
        if let victim = connections.opened(context.channel) {
            victim.close(promise: nil)
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        headDeadline = context.eventLoop.scheduleTask(in: headerReadTimeout) {
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        forget(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        forget(context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headDeadline?.cancel()
            headDeadline = nil
            connections.requestStarted(context.channel)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            connections.responseFinished(context.channel)
        }
        context.write(data, promise: promise)
    }

    private func forget(_ context: ChannelHandlerContext) {
        headDeadline?.cancel()
        headDeadline = nil
        if registered {
            registered = false
            connections.closed(context.channel)
        }
    }
}
