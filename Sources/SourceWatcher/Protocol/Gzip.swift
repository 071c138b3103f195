import CompressNIO
import NIOCore

/// Inflates a gzip record body (v2 batch or legacy wrapper) with zlib through CompressNIO,
/// bounded so a small hostile body cannot make exporterd allocate without limit.
enum Gzip {
    static func inflate(_ body: ByteBuffer, limit: Int, batchOffset: Int64) throws(RecordBatchError) -> ByteBuffer {
        var compressed = body
        // 10-byte gzip header + 8-byte trailer at least.
        guard compressed.readableBytes >= 18 else {
            throw .decompressionFailed(batchOffset: batchOffset, codec: .gzip)
        }
        let inflated: ByteBuffer
        do {
            inflated = try compressed.decompress(with: .gzip(), maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw .decompressedSizeExceedsLimit(batchOffset: batchOffset, limit: limit)
        } catch {
            throw .decompressionFailed(batchOffset: batchOffset, codec: .gzip)
        }
        // CompressNIO stops quietly when the input ends early; the gzip trailer's ISIZE
        // (uncompressed size mod 2^32, little-endian) catches a body that was cut short.
        let isize = body.getInteger(at: body.writerIndex - 4, endianness: .little, as: UInt32.self)!
        guard UInt32(truncatingIfNeeded: inflated.readableBytes) == isize else {
            throw .decompressionFailed(batchOffset: batchOffset, codec: .gzip)
        }
        return inflated
    }
}
