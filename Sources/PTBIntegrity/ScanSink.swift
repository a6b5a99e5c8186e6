import Foundation

/// The per-token work of the scanner: hash the token, roll the gram prefix, test the filter,
/// and, on the rare filter hit, look up and verify every gram length ending here.
struct ScanSink: TokenSink {
    private let index: NGramIndex
    private let mask: Int
    private let prefix: UnsafeMutablePointer<UInt64>
    private let tokens: UnsafeMutablePointer<UInt64>
    private let offsets: UnsafeMutablePointer<Int>
    private let filter: UnsafeMutablePointer<UInt64>
    private let gramFilter: UnsafeMutablePointer<UInt64>
    private let filterShift: UInt64
    private let m: Int
    private let powM: UInt64
    private let maxHits: Int

    private var t = 0
    private var p: UInt64 = 0
    private var hits: [HitKey: Int] = [:]
    private var lineCounter: LineCounter

    struct HitKey: Hashable {
        var line: Int
        var item: Int
        var length: Int
    }

    init(index: NGramIndex, maxHits: Int, bytes: UnsafeRawBufferPointer) {
        self.index = index
        lineCounter = LineCounter(bytes)
        self.maxHits = maxHits
        var r = 1
        while r <= (index.lengths.last ?? 1) + 1 { r <<= 1 }
        mask = r - 1
        prefix = .allocate(capacity: r)
        prefix.initialize(repeating: 0, count: r)
        tokens = .allocate(capacity: r)
        tokens.initialize(repeating: 0, count: r)
        offsets = .allocate(capacity: r)
        offsets.initialize(repeating: 0, count: r)
        filter = .allocate(capacity: index.filter.count)
        filter.initialize(from: index.filter, count: index.filter.count)
        gramFilter = .allocate(capacity: index.gramFilter.count)
        gramFilter.initialize(from: index.gramFilter, count: index.gramFilter.count)
        filterShift = index.filterShift
        m = index.filterLength
        powM = index.powers[index.filterLength]
    }

    /// Frees the rings and returns the hits, sorted.
    mutating func finish() -> [(line: Int, item: Int, grams: Int, length: Int)] {
        prefix.deallocate()
        tokens.deallocate()
        offsets.deallocate()
        filter.deallocate()
        gramFilter.deallocate()
        return hits.map { (line: $0.key.line, item: $0.key.item, grams: $0.value, length: $0.key.length) }
            .sorted { ($0.line, $0.item) < ($1.line, $1.item) }
    }

    @inline(__always) mutating func token(hash th: UInt64, at offset: Int) {
        tokens[t & mask] = th
        offsets[t & mask] = offset
        p = p &* NGramIndex.base &+ th
        t += 1
        prefix[t & mask] = p
        guard t >= m else { return }
        let w = p &- prefix[(t - m) & mask] &* powM
        let bit = NGramIndex.filterBit(w, shift: filterShift)
        if filter[Int(bit &>> 6)] & (1 &<< (bit & 63)) != 0 { lookup() }
    }

    private mutating func lookup() {
        for L in index.lengths where t >= L {
            let key = NGramIndex.key(p &- prefix[(t - L) & mask] &* index.powers[L], length: L)
            let bit = NGramIndex.filterBit(key, shift: filterShift)
            guard gramFilter[Int(bit &>> 6)] & (1 &<< (bit & 63)) != 0, let entries = index.table[key] else { continue }
            for e in entries {
                let item = index.items[Int(e.item)]
                var same = true
                for k in 0..<L where tokens[(t - L + k) & mask] != item.tokens[Int(e.offset) + k] {
                    same = false
                    break
                }
                guard same else { continue }
                let key = HitKey(line: lineCounter.line(at: offsets[(t - L) & mask]), item: Int(e.item), length: L)
                if hits[key] != nil || hits.count < maxHits { hits[key, default: 0] += 1 }
            }
        }
    }
}

/// Line numbers (from 1) of byte offsets, counted on demand: hits are rare and close together,
/// so counting newlines from the previous answer costs far less than tracking lines per token.
struct LineCounter {
    private let base: UnsafePointer<UInt8>?
    private var offset = 0
    private var line = 1

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    mutating func line(at target: Int) -> Int {
        guard let base else { return 1 }
        let (from, to) = target >= offset ? (offset, target) : (target, offset)
        var newlines = 0
        var p = UnsafeRawPointer(base + from)
        let end = UnsafeRawPointer(base + to)
        while p < end, let hit = memchr(p, 0x0A, end - p) {
            newlines += 1
            p = UnsafeRawPointer(hit) + 1
        }
        line += target >= offset ? newlines : -newlines
        offset = target
        return line
    }
}
