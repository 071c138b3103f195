/// Replication offset lag: how far the destination's high watermark trails the source's,
/// partition by partition (the replicator preserves offsets, so the difference is the lag).
public enum OffsetLag {
    /// Lag of one partition. A destination ahead of the source (possible for a moment while a
    /// recreated source topic refills) is no lag, not a negative one.
    public static func partition(sourceHighWatermark: Int64, destinationHighWatermark: Int64) -> Int64 {
        max(0, sourceHighWatermark - destinationHighWatermark)
    }
}
