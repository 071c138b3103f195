import Testing
@testable import Diagnostics

@Suite struct OffsetLagTests {
    @Test(arguments: [
        (Int64(10), Int64(4), Int64(6)),
        (10, 10, 0),
        (3, 9, 0),   // destination ahead: no negative lag
        (0, 0, 0),
    ])
    func partitionLag(source: Int64, destination: Int64, expected: Int64) {
        #expect(OffsetLag.partition(sourceHighWatermark: source, destinationHighWatermark: destination) == expected)
    }
}
