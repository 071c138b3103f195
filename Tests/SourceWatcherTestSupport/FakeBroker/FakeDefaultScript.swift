/// The fake broker's default answers: ApiVersions from its advertised ranges, and Metadata,
/// ListOffsets and DescribeProducers from the shared `FakeClusterLayout`, the way a healthy
/// Kafka broker with that layout would answer (the group APIs' answers are in
/// `FakeGroupsScript.swift`).
import NIOCore
import SourceWatcher

extension FakeKafkaBroker {
    public func defaultReply(to request: ReceivedRequest) -> FakeReply {
        switch request.decoded {
        case .apiVersions:
            let advertised = self.advertised
            // A broker that does not know the asked version answers in the v0 layout.
            guard let own = advertised[.apiVersions], own.contains(request.version) else {
                return .unsupportedApiVersions(advertised[.apiVersions] ?? 0...0)
            }
            let keys = advertised.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                ApiVersionsResponse.ApiVersion(apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound)
            }
            return .response(ApiVersionsResponse(apiKeys: keys))
        case .metadata(let metadata):
            return .response(metadataResponse(topics: metadata.topics?.compactMap(\.name)))
        case .listOffsets(let listOffsets):
            return .response(listOffsetsResponse(listOffsets))
        case .describeProducers(let describe):
            return .response(describeProducersResponse(describe))
        case .listGroups:
            return .response(listGroupsResponse(version: request.version))
        case .findCoordinator(let find):
            return .response(findCoordinatorResponse(find, version: request.version))
        case .describeGroups(let describe):
            return .response(describeGroupsResponse(describe, version: request.version))
        case .offsetFetch(let fetch):
            return .response(offsetFetchResponse(fetch, version: request.version))
        case .undecodable:
            return .close
        }
    }

    /// Also usable from scripts: "answer normally, but later".
    public func defaultReply(header: RequestHeader, body: ByteBuffer) -> FakeReply {
        guard let api = APIKey(rawValue: header.apiKey) else { return .close }
        return defaultReply(to: ReceivedRequest(header: header, api: api, body: body,
                                                decoded: DecodedRequest(api: api, version: header.apiVersion, body: body)))
    }

    public func metadataResponse(topics names: [String]?) -> MetadataResponse {
        let layout = self.layout.snapshot
        let brokers = layout.brokers.sorted { $0.key < $1.key }.map {
            MetadataResponse.MetadataResponseBroker(nodeId: $0.key, host: "127.0.0.1", port: Int32($0.value))
        }
        let topics = (names ?? layout.topics.keys.sorted()).map { name -> MetadataResponse.MetadataResponseTopic in
            guard let partitions = layout.topics[name] else {
                return .init(errorCode: KafkaErrorCode.unknownTopicOrPartition.rawValue, name: name)
            }
            return .init(name: name, partitions: partitions.sorted { $0.key < $1.key }.map {
                .init(partitionIndex: $0.key, leaderId: $0.value.leader, leaderEpoch: 0,
                      replicaNodes: [$0.value.leader], isrNodes: [$0.value.leader])
            })
        }
        return MetadataResponse(brokers: brokers, clusterId: layout.clusterID,
                                controllerId: brokers.first?.nodeId ?? -1, topics: topics)
    }

    public func listOffsetsResponse(_ request: ListOffsetsRequest) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { asked in
                guard let partition = layout.partition(TopicPartition(topic: topic.name, partition: asked.partitionIndex)) else {
                    return .init(partitionIndex: asked.partitionIndex, errorCode: KafkaErrorCode.unknownTopicOrPartition.rawValue)
                }
                guard partition.leader == nodeID else {
                    return .init(partitionIndex: asked.partitionIndex, errorCode: KafkaErrorCode.notLeaderOrFollower.rawValue)
                }
                guard partition.listOffsetsError == .none else {
                    return .init(partitionIndex: asked.partitionIndex, errorCode: partition.listOffsetsError.rawValue)
                }
                // −2 earliest; −1 latest; a timestamp search is answered with latest here.
                let offset = asked.timestamp == -2 ? partition.earliest : partition.latest
                return .init(partitionIndex: asked.partitionIndex, offset: offset, leaderEpoch: 0)
            })
        })
    }

    public func describeProducersResponse(_ request: DescribeProducersRequest) -> DescribeProducersResponse {
        DescribeProducersResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitionIndexes.map { index in
                guard let partition = layout.partition(TopicPartition(topic: topic.name, partition: index)) else {
                    return .init(partitionIndex: index, errorCode: KafkaErrorCode.unknownTopicOrPartition.rawValue)
                }
                guard partition.leader == nodeID else {
                    return .init(partitionIndex: index, errorCode: KafkaErrorCode.notLeaderOrFollower.rawValue)
                }
                return .init(partitionIndex: index, activeProducers: partition.producers)
            })
        })
    }
}
