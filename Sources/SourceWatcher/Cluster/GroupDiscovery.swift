/// Finding the groups and where they live: ListGroups on one broker (each broker lists the
/// groups it coordinates), FindCoordinator batched when the broker speaks v4+ (many keys in one
/// request) and one request per group before that, and the version-aware send both group
/// reads share. Every exchange runs within the read's `ReadDeadline`.

/// A group as a broker's ListGroups answer names it.
struct ListedGroup: Sendable, Equatable {
    var groupId: String
    var protocolType: String
    /// The broker that listed it: the group's coordinator when it answered, and the broker
    /// asked to find the coordinator.
    var listedBy: BrokerAddress
}

extension KafkaCluster {
    /// The groups `broker` coordinates, or why not.
    func listGroups(at broker: BrokerAddress, deadline: ReadDeadline) async -> Result<[ListedGroup], ConsumerGroupFailure> {
        let response: ListGroupsResponse
        do {
            response = try await send(ListGroupsRequest(), to: broker, deadline: deadline)
        } catch {
            return .failure(.listGroups(broker: broker, error))
        }
        let code = KafkaErrorCode(response.errorCode)
        guard code == .none else { return .failure(.listGroupsRefused(broker: broker, code: code)) }
        return .success(response.groups.map { ListedGroup(groupId: $0.groupId, protocolType: $0.protocolType, listedBy: broker) })
    }

    /// The coordinator of each of `groups` as `broker` answers: one request for all of them when
    /// the broker speaks FindCoordinator v4+, else one request per group, all at once.
    func findCoordinators(of groups: [String], asking broker: BrokerAddress, deadline: ReadDeadline) async -> [String: Result<BrokerAddress, ConsumerGroupFailure>] {
        guard !groups.isEmpty else { return [:] }
        let version: Int16
        do {
            version = try await negotiatedVersion(FindCoordinatorRequest.self, at: broker, deadline: deadline)
        } catch {
            return Dictionary(groups.map { ($0, .failure(.findCoordinator(group: $0, broker: broker, error))) }, uniquingKeysWith: { first, _ in first })
        }
        if version >= 4 {
            return await findCoordinatorsBatched(groups, asking: broker, version: version, deadline: deadline)
        }
        return await withTaskGroup(of: (String, Result<BrokerAddress, ConsumerGroupFailure>).self) { tasks in
            for group in groups {
                tasks.addTask {
                    (group, await self.findCoordinator(of: group, asking: broker, version: version, deadline: deadline))
                }
            }
            var found: [String: Result<BrokerAddress, ConsumerGroupFailure>] = [:]
            for await (group, result) in tasks { found[group] = result }
            return found
        }
    }

    private func findCoordinatorsBatched(_ groups: [String], asking broker: BrokerAddress, version: Int16,
                                         deadline: ReadDeadline) async -> [String: Result<BrokerAddress, ConsumerGroupFailure>] {
        var found: [String: Result<BrokerAddress, ConsumerGroupFailure>] = [:]
        let response: FindCoordinatorResponse
        do {
            response = try await send(FindCoordinatorRequest(keyType: 0, coordinatorKeys: groups), version: version, to: broker, deadline: deadline)
        } catch {
            for group in groups { found[group] = .failure(.findCoordinator(group: group, broker: broker, error)) }
            return found
        }
        let asked = Set(groups)
        for answer in response.coordinators where asked.contains(answer.key) {
            found[answer.key] = Self.coordinator(of: answer.key, code: answer.errorCode, nodeId: answer.nodeId,
                                                 host: answer.host, port: answer.port, asked: broker)
        }
        for group in groups where found[group] == nil {
            found[group] = .failure(.findCoordinator(group: group, broker: broker, .protocolViolation(
                broker: broker, detail: "FindCoordinator answer left out group \(group)")))
        }
        return found
    }

    private func findCoordinator(of group: String, asking broker: BrokerAddress, version: Int16,
                                 deadline: ReadDeadline) async -> Result<BrokerAddress, ConsumerGroupFailure> {
        do {
            let response = try await send(FindCoordinatorRequest(key: group, keyType: 0), version: version, to: broker, deadline: deadline)
            return Self.coordinator(of: group, code: response.errorCode, nodeId: response.nodeId,
                                    host: response.host, port: response.port, asked: broker)
        } catch {
            return .failure(.findCoordinator(group: group, broker: broker, error))
        }
    }

    private static func coordinator(of group: String, code: Int16, nodeId: Int32, host: String, port: Int32,
                                    asked broker: BrokerAddress) -> Result<BrokerAddress, ConsumerGroupFailure> {
        let code = KafkaErrorCode(code)
        guard code == .none else { return .failure(.coordinatorNotFound(group: group, broker: broker, code: code)) }
        // NONE with no node is no answer either: Kafka's client treats it as unavailable.
        guard nodeId >= 0, !host.isEmpty, port > 0 else {
            return .failure(.coordinatorNotFound(group: group, broker: broker, code: .coordinatorNotAvailable))
        }
        return .success(BrokerAddress(host: host, port: Int(port)))
    }

    /// The version `Request` will go out at on `broker`'s connection: the highest both sides
    /// speak, no higher than `cap` (OffsetFetch v10 names topics by id only).
    func negotiatedVersion<Request: KafkaRequest>(_ request: Request.Type, at broker: BrokerAddress, cap: Int16? = nil,
                                                  deadline: ReadDeadline) async throws(KafkaClientError) -> Int16 {
        let versions = try await connection(to: broker, deadline: deadline).apiVersions
        let negotiated = try versions.negotiate(Request.self, broker: broker)
        guard let cap, negotiated > cap else { return negotiated }
        let theirs = versions.ranges[Request.apiKey.rawValue]
        guard let theirs, theirs.lowerBound <= cap else {
            throw .unsupportedAPI(broker: broker, api: Request.apiKey, brokerVersions: theirs,
                                  ourVersions: Request.supportedVersions.lowerBound...cap)
        }
        return cap
    }

    /// Sends `request` at `version` (built for it by the caller) within the read's deadline,
    /// dropping the connection when it failed at the connection level.
    func send<Request: KafkaRequest>(_ request: Request, version: Int16, to broker: BrokerAddress,
                                     deadline: ReadDeadline) async throws(KafkaClientError) -> Request.Response {
        let connection = try await connection(to: broker, deadline: deadline)
        let remaining = deadline.remaining(at: clock.monotonicNow())
        guard remaining > .zero else {
            throw .requestTimedOut(broker: broker, api: Request.apiKey, timeout: deadline.budget)
        }
        do {
            return try await connection.send(request, version: version, timeout: min(settings.requestTimeout, remaining))
        } catch {
            switch error {
            case .unsupportedAPI, .brokerError, .codec: break
            default: await discard(connection)
            }
            // Named by the configured budget, as every read's timeouts are.
            if case .requestTimedOut(let broker, let api, _) = error {
                throw .requestTimedOut(broker: broker, api: api, timeout: deadline.budget)
            }
            throw error
        }
    }
}
