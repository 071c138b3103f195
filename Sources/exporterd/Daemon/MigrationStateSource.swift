/// Reading the migration state document (CONTRACT §3) from a file or an HTTP endpoint, as JSON
/// or YAML. A failed read is reported, never thrown at the poll loop: the last good states
/// stay in force and `kafka_migration_state_source_up` drops to 0.
import AsyncHTTPClient
import Diagnostics
import Foundation
import NIOCore
import Yams

struct MigrationStateSource {
    enum ReadError: Error, CustomStringConvertible {
        case unreadable(location: String, reason: String)
        case status(location: String, code: UInt)
        case invalid(location: String, reason: String)

        var description: String {
            switch self {
            case .unreadable(let location, let reason): "\(location): cannot read: \(reason)"
            case .status(let location, let code): "\(location): HTTP \(code)"
            case .invalid(let location, let reason): "\(location): \(reason)"
            }
        }
    }

    let settings: MigrationStateSettings
    let client: HTTPClient
    let environment: [String: String]
    /// The whole HTTP exchange, body included.
    var timeout: Duration = .seconds(10)
    static let documentLimit = 16 * 1024 * 1024

    func read() async -> Result<MigrationStateDocument, ReadError> {
        let location: String
        let data: Data
        switch settings.location {
        case .file(let path):
            location = path
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                return .failure(.unreadable(location: path, reason: (error as NSError).localizedDescription))
            }
        case .url(let url, let tokenVariable):
            location = url
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json, application/yaml;q=0.9")
            if let tokenVariable, let token = environment[tokenVariable] {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            do {
                let (code, body) = try await withDeadline(timeout) { [request, client, timeout] () async throws -> (UInt, ByteBuffer?) in
                    let response = try await client.execute(request, timeout: TimeAmount(timeout))
                    guard response.status.code == 200 else { return (response.status.code, nil) }
                    return (200, try await response.body.collect(upTo: Self.documentLimit))
                }
                guard let body else { return .failure(.status(location: url, code: code)) }
                data = Data(buffer: body)
            } catch {
                return .failure(.unreadable(location: url, reason: "\(error)"))
            }
        }
        do {
            return .success(try Self.parse(data))
        } catch {
            return .failure(.invalid(location: location, reason: error.reason))
        }
    }

    /// JSON when it parses as JSON, otherwise YAML converted to the same JSON model. YAML
    /// timestamps are not resolved: an unquoted `since` stays the text it was, read by the one
    /// RFC 3339 parser (a Yams `Date` formatted back would drop fractional seconds).
    struct InvalidDocument: Error { let reason: String }

    static func parse(_ data: Data) throws(InvalidDocument) -> MigrationStateDocument {
        let trimmed = data.first { !" \n\r\t".utf8.contains($0) }
        if trimmed == UInt8(ascii: "{") {
            do { return try MigrationStateDocument(json: data) } catch { throw InvalidDocument(reason: error.description) }
        }
        let object: Any?
        do {
            object = try Yams.load(yaml: String(decoding: data, as: UTF8.self), Resolver.default.removing(.timestamp))
        } catch {
            throw InvalidDocument(reason: "neither JSON nor YAML: \(error)")
        }
        guard let object, JSONSerialization.isValidJSONObject(jsonCompatible(object)) else {
            throw InvalidDocument(reason: "not a state document")
        }
        do {
            let json = try JSONSerialization.data(withJSONObject: jsonCompatible(object))
            return try MigrationStateDocument(json: json)
        } catch let error as MigrationStateDocumentError {
            throw InvalidDocument(reason: error.description)
        } catch {
            throw InvalidDocument(reason: "\(error)")
        }
    }

    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let date as Date: date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))  // an explicit !!timestamp
        case let dictionary as [String: Any]: dictionary.mapValues(jsonCompatible)
        case let array as [Any]: array.map(jsonCompatible)
        case is NSNull: NSNull()
        default: value
        }
    }
}
