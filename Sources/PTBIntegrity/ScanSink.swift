/// The per-token work of the scanner: hash the token, roll the gram prefix, test the filter,
/// and, on the rare filter hit, look up and verify every gram length ending here.
struct ScanSink: TokenSink {
    private let index: NGramIndex
    private let mask: Int
    private let prefix: UnsafeMutablePointer<UInt64>
    private let tokens: UnsafeMutablePointer<UInt64>
    private let lines: UnsafeMutablePointer<Int>
    private let filter: UnsafeMutablePointer<UInt64>
    private let gramFilter: UnsafeMutablePointer<UInt64>
    private let filterShift: UInt64
    private let m: Int
    private let powM: UInt64
    private let maxHits: Int

    private var t = 0
    private var p: UInt64 = 0
    private var hits: [HitKey: Int] = [:]

    struct HitKey: Hashable {
        var line: Int
        var item: Int
        var length: Int
    }

    init(index: NGramIndex, maxHits: Int) {
        self.index = index
        self.maxHits = maxHits
        var r = 1
        while r <= (index.lengths.last ?? 1) + 1 { r <<= 1 }
        mask = r - 1
        prefix = .allocate(capacity: r)
        prefix.initialize(repeating: 0, count: r)
        tokens = .allocate(capacity: r)
        tokens.initialize(repeating: 0, count: r)
        lines = .allocate(capacity: r)
        lines.initialize(repeating: 0, count: r)
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
        lines.deallocate()
        filter.deallocate()
        gramFilter.deallocate()
        return hits.map { (line: $0.key.line, item: $0.key.item, grams: $0.value, length: $0.key.length) }
            .sorted { ($0.line, $0.item) < ($1.line, $1.item) }
    }

    @inline(__always) mutating func token(hash th: UInt64, line: Int) {
        tokens[t & mask] = th
        lines[t & mask] = line
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
                let key = HitKey(line: lines[(t - L) & mask], item: Int(e.item), length: L)
                if hits[key] != nil || hits.count < maxHits { hits[key, default: 0] += 1 }
            }
        }
    }
}
