import PTBCore
import PTBTasks

/// Which part of a test item a gram came from; questions and answers are indexed separately so
/// a hit says whether the training data holds the question, the answer, or both.
public enum ScanField: String, Codable, Sendable, Comparable {
    case question, answer
    public static func < (a: ScanField, b: ScanField) -> Bool { a.rawValue < b.rawValue }
}

/// The n-grams of a task's test items, as 64-bit hashes.
///
/// Items of at least `n` tokens contribute their n-grams, items of `shortN`..<`n` tokens their
/// shortN-grams, and shorter items (down to `minTokens`) themselves as one gram. Items below
/// `minTokens` are not indexed: a one-token answer such as "7" occurs in any text and would
/// only produce noise.
///
/// Gram hashes are polynomial over token hashes (base `B`, mod 2^64), so the scanner rolls them
/// over a prefix ring in O(1) per token for any gram length. Before any table lookup a 1-bit-
/// per-entry filter on the last `filterLength` tokens rejects almost every position; a filter hit
/// is confirmed by comparing the exact token-hash sequence, so hash collisions never become hits.
public struct NGramIndex: Sendable {
    public struct Item: Sendable {
        public var id: String
        public var field: ScanField
        public var tokens: [UInt64]
        public var preview: String
        /// Set for an encoded copy of a test item ("rot13"): its grams find the item written in
        /// that encoding in the same single pass over the data.
        public var variant: String?
    }

    /// Encodings whose copies of every item are indexed beside it. ROT13 maps letters to letters
    /// and leaves digits and separators alone, so an encoded item tokenises at the same places
    /// and one extra set of grams finds it; no second pass over the data is needed.
    public enum Variant: String, Sendable, CaseIterable {
        case rot13

        public func encode(_ text: String) -> String {
            switch self {
            case .rot13:
                String(String.UnicodeScalarView(text.unicodeScalars.map { u in
                    switch u.value {
                    case 65...90: Unicode.Scalar((u.value - 65 + 13) % 26 + 65)!
                    case 97...122: Unicode.Scalar((u.value - 97 + 13) % 26 + 97)!
                    default: u
                    }
                }))
            }
        }
    }

    struct Entry: Sendable {
        var item: Int32
        var offset: Int32
    }

    static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1

    public let n: Int
    /// Test items (samples) the index was built from, indexed or not.
    public let sampleCount: Int
    public let shortN: Int
    public let minTokens: Int
    public let items: [Item]
    /// Distinct gram lengths, ascending.
    public let lengths: [Int]
    public let filterLength: Int
    public let gramCount: Int
    public let skippedShort: [ScanField: Int]
    let powers: [UInt64]
    let filter: [UInt64]
    /// Second level, on the whole gram: most first-level hits are common short tails
    /// ("how many apples are in the box") of grams that do not match as a whole.
    let gramFilter: [UInt64]
    let filterShift: UInt64
    let table: [UInt64: [Entry]]

    public init(samples: [Sample], n: Int = 13, shortN: Int = 8, minTokens: Int = 4, variants: [Variant] = []) {
        var items: [Item] = []
        var skipped: [ScanField: Int] = [.question: 0, .answer: 0]
        for s in samples {
            let question = s.messages.filter { $0.role == "user" }.map(\.content).joined(separator: "\n")
            for (field, text) in [(ScanField.question, question), (.answer, s.target)] {
                let tokens = TextNormalizer.tokenHashes(text)
                if tokens.isEmpty { continue }
                if tokens.count < minTokens {
                    skipped[field, default: 0] += 1
                    continue
                }
                items.append(Item(id: s.id, field: field, tokens: tokens, preview: String(text.prefix(80))))
                for v in variants {
                    let encoded = TextNormalizer.tokenHashes(v.encode(text))
                    // An item without letters encodes to itself: its grams are already indexed.
                    if encoded != tokens {
                        items.append(Item(id: s.id, field: field, tokens: encoded, preview: String(text.prefix(80)), variant: v.rawValue))
                    }
                }
            }
        }
        self.init(items: items, sampleCount: samples.count, n: n, shortN: shortN, minTokens: minTokens, skipped: skipped)
    }

    init(items: [Item], sampleCount: Int, n: Int, shortN: Int, minTokens: Int, skipped: [ScanField: Int]) {
        self.n = n
        self.sampleCount = sampleCount
        self.shortN = shortN
        self.minTokens = minTokens
        self.items = items
        self.skippedShort = skipped

        var grams: [(item: Int, offset: Int, length: Int)] = []
        for (k, it) in items.enumerated() {
            let L = Self.gramLength(tokens: it.tokens.count, n: n, shortN: shortN)
            for off in 0...(it.tokens.count - L) { grams.append((k, off, L)) }
        }
        let lengths = Array(Set(grams.map(\.length))).sorted()
        self.lengths = lengths
        filterLength = lengths.first ?? 1
        let maxLen = lengths.last ?? 1
        powers = (0...maxLen).reduce(into: [UInt64]()) { acc, k in acc.append(k == 0 ? 1 : acc[k - 1] &* Self.base) }

        // ~64 filter bits per gram keeps random positions passing at ≈1/64 or less.
        var bits = 16
        while (1 << bits) < grams.count * 64 && bits < 30 { bits += 1 }
        filterShift = UInt64(64 - bits)
        var filter = [UInt64](repeating: 0, count: (1 << bits) / 64)
        var gramFilter = filter
        var table: [UInt64: [Entry]] = [:]
        for g in grams {
            let tokens = items[g.item].tokens
            let key = Self.key(Self.windowHash(tokens, g.offset, g.length), length: g.length)
            table[key, default: []].append(Entry(item: Int32(g.item), offset: Int32(g.offset)))
            let whole = Self.filterBit(key, shift: filterShift)
            gramFilter[Int(whole >> 6)] |= 1 << (whole & 63)
            let tail = Self.windowHash(tokens, g.offset + g.length - filterLength, filterLength)
            let bit = Self.filterBit(tail, shift: filterShift)
            filter[Int(bit >> 6)] |= 1 << (bit & 63)
        }
        self.filter = filter
        self.gramFilter = gramFilter
        self.table = table
        gramCount = grams.count
    }

    static func gramLength(tokens: Int, n: Int, shortN: Int) -> Int {
        tokens >= n ? n : tokens >= shortN ? shortN : tokens
    }

    /// Σ h[off+k]·B^(L−1−k): what the scanner's prefix ring yields for the same window.
    static func windowHash(_ h: [UInt64], _ off: Int, _ len: Int) -> UInt64 {
        var x: UInt64 = 0
        for k in off..<(off + len) { x = x &* base &+ h[k] }
        return x
    }

    @inline(__always)
    static func key(_ window: UInt64, length: Int) -> UInt64 {
        window ^ (UInt64(length) &* 0xD6E8_FEB8_6659_FD93)
    }

    @inline(__always)
    static func filterBit(_ window: UInt64, shift: UInt64) -> UInt64 {
        window &>> shift
    }

    /// Number of items of each field that are indexed (encoded copies not counted).
    public func indexed(_ field: ScanField) -> Int { items.filter { $0.field == field && $0.variant == nil }.count }
}
