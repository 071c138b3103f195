/// The query parameters of `/api/v1/events` and `/api/v1/events/stream`, validated. Every
/// problem is an `APIParameterError` naming the parameter, which the routes answer with
/// 400 `{"error": "...", "parameter": "..."}`.

struct EventsQuery: Equatable {
    /// Events with `seq` greater than this; nil for all.
    var after: Int64?
    var topic: String?
    var limit: Int

    static let defaultLimit = 100
    static let maxLimit = 1_000

    /// Parameters of `/api/v1/events`: `after`, `topic`, `limit`.
    static func list(_ parameters: some Collection<(key: Substring, value: Substring)>) throws(APIParameterError) -> EventsQuery {
        try parse(parameters, allowed: ["after", "topic", "limit"])
    }

    /// Parameters of `/api/v1/events/stream`: `after`, `topic`; `Last-Event-ID` wins over `after`.
    static func stream(
        _ parameters: some Collection<(key: Substring, value: Substring)>, lastEventID: String?
    ) throws(APIParameterError) -> EventsQuery {
        var query = try parse(parameters, allowed: ["after", "topic"])
        if let lastEventID {
            query.after = try sequenceNumber(lastEventID, parameter: "Last-Event-ID")
        }
        return query
    }

    private static func parse(
        _ parameters: some Collection<(key: Substring, value: Substring)>, allowed: Set<String>
    ) throws(APIParameterError) -> EventsQuery {
        var query = EventsQuery(after: nil, topic: nil, limit: defaultLimit)
        var seen: Set<String> = []
        for (key, value) in parameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw APIParameterError(parameter: name, reason: "unknown parameter; allowed: \(allowed.sorted().joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else {
                throw APIParameterError(parameter: name, reason: "given more than once")
            }
            switch name {
            case "after":
                query.after = try sequenceNumber(String(value), parameter: name)
            case "limit":
                guard let limit = decimal(String(value)), (1...Int64(maxLimit)).contains(limit) else {
                    throw APIParameterError(parameter: name, reason: "must be an integer from 1 to \(maxLimit), got \"\(value)\"")
                }
                query.limit = Int(limit)
            default:  // topic
                guard !value.isEmpty else {
                    throw APIParameterError(parameter: name, reason: "must not be empty")
                }
                query.topic = String(value)
            }
        }
        return query
    }

    private static func sequenceNumber(_ text: String, parameter: String) throws(APIParameterError) -> Int64 {
        guard let value = decimal(text) else {
            throw APIParameterError(parameter: parameter, reason: "must be an integer ≥ 0 (an event seq), got \"\(text)\"")
        }
        return value
    }

    /// Plain ASCII digits only (no sign, no spaces, no fraction), within Int64.
    private static func decimal(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(text)
    }
}

/// A bad query parameter or header: 400 with the parameter named.
struct APIParameterError: Error, Equatable {
    var parameter: String
    var reason: String

    var message: String { "\(parameter): \(reason)" }
}
