import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A tensor's bytes and element type, as mapped from its file.
public struct TensorView {
    public var bytes: UnsafeRawBufferPointer
    public var dtype: DType
    /// The mapping the bytes live in, and where they start in it: chunks are handed back to the
    /// kernel as soon as they are read, so even a multi-GB tensor never stays resident.
    var owner: MappedFile?
    var fileOffset: Int

    public init(bytes: UnsafeRawBufferPointer, dtype: DType) {
        self.init(bytes: bytes, dtype: dtype, owner: nil, fileOffset: 0)
    }

    init(bytes: UnsafeRawBufferPointer, dtype: DType, owner: MappedFile?, fileOffset: Int) {
        self.bytes = bytes
        self.dtype = dtype
        self.owner = owner
        self.fileOffset = fileOffset
    }

    /// Drops the pages of elements lo..<hi from this process (they stay in the page cache).
    func release(_ lo: Int, _ hi: Int) {
        guard let owner, dtype.bits % 8 == 0 else { return }
        let w = dtype.byteWidth
        owner.release((fileOffset + lo * w)..<(fileOffset + hi * w))
    }
}

/// The comparison of one tensor across base, candidate and references.
public struct TensorSums: Sendable, Equatable {
    /// nil when base or candidate is not a float type (compared by bytes only).
    public var pair: PairSums?
    /// Per reference; nil when that reference is not numeric for this tensor.
    public var references: [ReferenceSums?]
    public var identicalToBase: Bool
    public var identicalToReference: [Bool]
}

/// Streams equally shaped tensors through the kernels in fixed-size chunks, so memory stays
/// bounded (one small scratch block per worker) whatever the tensor size. Chunks run on
/// `jobs` threads; each chunk's sums land in their own slot and are added in chunk order, so the
/// result is bit-identical for any number of threads.
public final class TensorComparator {
    /// Elements per parallel work item.
    static let chunk = 1 << 16
    /// Elements converted to Float at a time: three 16 KB streams stay in L1/L2.
    static let sub = 4096

    public let jobs: Int
    private let scratch: UnsafeMutablePointer<Float>

    public init(jobs: Int) {
        self.jobs = max(1, jobs)
        scratch = .allocate(capacity: self.jobs * 3 * Self.sub)
    }

    deinit { scratch.deallocate() }

    public func compare(base: TensorView, candidate: TensorView, references: [TensorView?], count n: Int) -> TensorSums {
        let refCount = references.count
        let numeric = base.dtype.isNumeric && candidate.dtype.isNumeric
        let refNumeric = references.map { numeric && ($0?.dtype.isNumeric ?? false) }
        let chunks = max(1, (n + Self.chunk - 1) / Self.chunk)
        let stride = 2 + 4 * refCount
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks * stride)
        sums.initialize(repeating: 0)
        let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: chunks * (1 + refCount))
        flags.initialize(repeating: false)
        defer {
            sums.deallocate()
            flags.deallocate()
        }

        let work = { (j: Int, worker: Int) in
            let lo = j * Self.chunk, hi = min(n, lo + Self.chunk)
            defer {
                base.release(lo, hi)
                candidate.release(lo, hi)
                for r in references { r?.release(lo, hi) }
            }
            flags[j * (1 + refCount)] = Self.sameBytes(candidate, base, lo, hi)
            for (k, r) in references.enumerated() {
                flags[j * (1 + refCount) + 1 + k] = r.map { Self.sameBytes(candidate, $0, lo, hi) } ?? false
            }
            guard numeric else { return }
            let sb = self.scratch + worker * 3 * Self.sub, sc = sb + Self.sub, sr = sc + Self.sub
            var pair = PairSums()
            var refs = [ReferenceSums](repeating: ReferenceSums(), count: refCount)
            var s = lo
            while s < hi {
                let m = min(Self.sub, hi - s)
                HalfConversion.toFloat(base.bytes.baseAddress! + s * base.dtype.byteWidth, dtype: base.dtype, count: m, into: sb)
                HalfConversion.toFloat(candidate.bytes.baseAddress! + s * candidate.dtype.byteWidth, dtype: candidate.dtype, count: m, into: sc)
                pair += TensorKernel.pair(b: sb, c: sc, count: m)
                for (k, r) in references.enumerated() where refNumeric[k] {
                    let r = r!
                    HalfConversion.toFloat(r.bytes.baseAddress! + s * r.dtype.byteWidth, dtype: r.dtype, count: m, into: sr)
                    refs[k] += TensorKernel.reference(b: sb, c: sc, r: sr, count: m)
                }
                s += m
            }
            let slot = sums.baseAddress! + j * stride
            slot[0] = pair.dd
            slot[1] = pair.bb
            for k in 0..<refCount {
                slot[2 + 4 * k] = refs[k].ee
                slot[3 + 4 * k] = refs[k].de
                slot[4 + 4 * k] = refs[k].ff
                slot[5 + 4 * k] = refs[k].rr
            }
        }

        let workers = min(jobs, chunks)
        if workers == 1 || n == 0 {
            for j in 0..<chunks { work(j, 0) }
        } else {
            // Each chunk writes only its own slots and each worker only its own scratch block;
            // the mapped tensors are read-only. That is what makes sharing the closure sound.
            let shared = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var j = w
                while j < chunks {
                    shared.value(j, w)
                    j += workers
                }
            }
        }

        var result = TensorSums(pair: numeric ? PairSums() : nil,
                                references: refNumeric.map { $0 ? ReferenceSums() : nil },
                                identicalToBase: true, identicalToReference: [Bool](repeating: true, count: refCount))
        for j in 0..<chunks {
            let slot = sums.baseAddress! + j * stride
            result.pair?.dd += slot[0]
            result.pair?.bb += slot[1]
            for k in 0..<refCount {
                result.references[k]?.ee += slot[2 + 4 * k]
                result.references[k]?.de += slot[3 + 4 * k]
                result.references[k]?.ff += slot[4 + 4 * k]
                result.references[k]?.rr += slot[5 + 4 * k]
            }
            result.identicalToBase = result.identicalToBase && flags[j * (1 + refCount)]
            for k in 0..<refCount { result.identicalToReference[k] = result.identicalToReference[k] && flags[j * (1 + refCount) + 1 + k] }
        }
        return result
    }

    /// Byte identity of elements lo..<hi; different dtypes are never byte-identical.
    private static func sameBytes(_ a: TensorView, _ b: TensorView, _ lo: Int, _ hi: Int) -> Bool {
        guard a.dtype == b.dtype, a.bytes.count == b.bytes.count else { return false }
        guard a.bytes.count > 0 else { return true }
        if a.dtype.bits % 8 != 0 {
            // Sub-byte types: compare the whole tensor once, from the first chunk.
            return lo == 0 ? memcmp(a.bytes.baseAddress!, b.bytes.baseAddress!, a.bytes.count) == 0 : true
        }
        let w = a.dtype.byteWidth
        let len = (hi - lo) * w
        guard len > 0 else { return true }
        return memcmp(a.bytes.baseAddress! + lo * w, b.bytes.baseAddress! + lo * w, len) == 0
    }
}

/// Hands a value to worker threads whose disjoint use of it the caller guarantees.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
