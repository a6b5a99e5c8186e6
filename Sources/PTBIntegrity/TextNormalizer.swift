/// The normalisation both test items and scanned files go through: lowercase, punctuation and
/// whitespace separate tokens (so compact JSON/CSV fields never glue together), tokens are runs
/// of letters and digits.
///
/// It works on UTF-8 bytes. ASCII, the hot path, is one table lookup per byte; other characters
/// are decoded: Latin-1, Greek and Cyrillic capitals are lowercased, general and CJK punctuation
/// and no-break spaces separate, everything else is a word character as is. Files whose strings
/// are escaped (JSON, JSONL, notebooks, Python) are read escape-aware: `\n` separates, `\\`
/// is a backslash and `\u00e9` is `é`, so an escaped copy of a question normalises exactly
/// like the question itself.
public enum TextNormalizer {
    /// Tokens of `text`, normalised, for display and tests. Matching uses hashes of the same bytes.
    public static func tokens(_ text: String, escapes: Bool = false) -> [String] {
        var sink = CollectingSink()
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in Lexer.run(UnsafeRawBufferPointer(raw), escapes: escapes, into: &sink) }
        return sink.tokens.map { String(decoding: $0, as: UTF8.self) }
    }

    public static func normalize(_ text: String, escapes: Bool = false) -> String {
        tokens(text, escapes: escapes).joined(separator: " ")
    }

    /// The hash the scanner uses for one already-normalised token.
    public static func hash(normalizedToken token: String) -> UInt64 {
        TokenHash.hash(token.utf8)
    }

    /// 64-bit hashes of the tokens of `text` (see `TokenHash`).
    public static func tokenHashes(_ text: String) -> [UInt64] {
        var sink = HashingSink()
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in Lexer.run(UnsafeRawBufferPointer(raw), escapes: false, into: &sink) }
        return sink.hashes
    }
}

extension TextNormalizer {
    public struct HashedToken: Equatable, Sendable, CustomStringConvertible {
        public var hash: UInt64
        /// Offset of the token's first byte (of its first escape, where it starts with one).
        public var offset: Int
        public var description: String { "@\(offset):\(String(hash, radix: 16))" }
    }

    /// The token hashes and offsets of `bytes` as the scanner sees them: through the block lexer
    /// (its fast path) or the byte-at-a-time lexer. The two must always agree.
    public static func hashedTokens(_ bytes: [UInt8], escapes: Bool, blockwise: Bool) -> [HashedToken] {
        var sink = OffsetSink()
        bytes.withUnsafeBytes { raw in
            if blockwise {
                BlockLexer.run(raw, escapes: escapes, into: &sink)
            } else {
                Lexer.run(raw, escapes: escapes, into: &sink)
            }
        }
        return sink.tokens
    }
}

struct OffsetSink: TokenSink {
    var tokens: [TextNormalizer.HashedToken] = []
    mutating func token(hash: UInt64, at offset: Int) { tokens.append(.init(hash: hash, offset: offset)) }
}

/// Receives the normalised token stream: each token's bytes (for sinks that keep them) and then
/// its hash and the offset of its first byte. Lines are derived from offsets only where a
/// report needs one (`LineCounter`), so the lexers do not count them.
protocol TokenSink {
    mutating func byte(_ b: UInt8)
    mutating func token(hash: UInt64, at offset: Int)
}

extension TokenSink {
    @inline(__always) mutating func byte(_ b: UInt8) {}
}

enum ByteClass {
    static let separator: UInt8 = 0
    static let backslash: UInt8 = 2
    static let nonASCII: UInt8 = 3

    /// Byte → lowercase word byte (≥ 0x30), or one of the classes above.
    static let table: [UInt8] = (0..<256).map { (b: Int) -> UInt8 in
        switch b {
        case 0x30...0x39, 0x61...0x7A: return UInt8(b)
        case 0x41...0x5A: return UInt8(b + 0x20)
        case 0x5C: return backslash
        case 0x80...: return nonASCII
        default: return separator
        }
    }
}

enum Lexer {
    /// Runs over all of `p`, calling `sink` per token.
    @inline(__always)
    static func run<S: TokenSink>(_ p: UnsafeRawBufferPointer, escapes: Bool, into sink: inout S) {
        guard let base = p.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        _ = run(base, p.count, from: 0, stopAt: p.count, escapes: escapes, into: &sink)
    }

    /// Runs from `start` (the start of a token or of a separator, never inside an escape) and
    /// returns the index of the first token boundary at or after `stopAt`, so that `BlockLexer`
    /// can hand back and forth with it at any such boundary.
    @inline(__always)
    static func run<S: TokenSink>(_ base: UnsafePointer<UInt8>, _ n: Int, from start: Int, stopAt: Int,
                                  escapes: Bool, into sink: inout S) -> Int {
        ByteClass.table.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            var i = start
            var inToken = false
            // The hash state stays in a local (registers), not in the inout sink.
            var packer = TokenHash.Packer()
            var tokenStart = 0
            while i < n {
                if !inToken && i >= stopAt { return i }
                var v = t[Int(base[i])]
                if v >= 0x30 {
                    if !inToken {
                        inToken = true
                        packer = TokenHash.Packer()
                        tokenStart = i
                    }
                    // The hot loop: a run of ASCII letters and digits.
                    while true {
                        packer.add(v)
                        sink.byte(v)
                        i &+= 1
                        guard i < n else { break }
                        v = t[Int(base[i])]
                        guard v >= 0x30 else { break }
                    }
                    continue
                }
                if v == ByteClass.separator {
                    if inToken {
                        inToken = false
                        sink.token(hash: packer.hash, at: tokenStart)
                    }
                    i &+= 1
                    continue
                }
                // Rare: a backslash or a non-ASCII character.
                let scalar: UInt32?
                let start0 = i
                if v == ByteClass.backslash {
                    (scalar, i) = escapes ? unescape(base, n, i) : (nil, i + 1)
                } else {
                    (scalar, i) = decodeUTF8(base, n, i)
                }
                guard let scalar, let wordScalar = wordScalar(scalar) else {
                    if inToken {
                        inToken = false
                        sink.token(hash: packer.hash, at: tokenStart)
                    }
                    continue
                }
                if !inToken {
                    inToken = true
                    packer = TokenHash.Packer()
                    tokenStart = start0
                }
                // `wordScalar` only returns valid scalars (never a surrogate): encode by hand,
                // without the optionals and buffer of the standard library's encoder.
                let (bytes, count) = UTF8Length.encode(wordScalar)
                for k in 0..<count {
                    let u = UInt8(truncatingIfNeeded: bytes &>> UInt32(8 &* k))
                    packer.add(u)
                    sink.byte(u)
                }
            }
            if inToken { sink.token(hash: packer.hash, at: tokenStart) }
            return i
        }
    }

    /// The scalar at `i` and the index after it; invalid UTF-8 yields U+FFFD for one byte.
    static func decodeUTF8(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (UInt32?, Int) {
        let b0 = UInt32(p[i])
        let len: Int, initial: UInt32
        switch b0 {
        case 0xC2...0xDF: (len, initial) = (2, b0 & 0x1F)
        case 0xE0...0xEF: (len, initial) = (3, b0 & 0x0F)
        case 0xF0...0xF4: (len, initial) = (4, b0 & 0x07)
        default: return (0xFFFD, i + 1)
        }
        guard i + len <= n else { return (0xFFFD, i + 1) }
        var v = initial
        for k in 1..<len {
            let c = UInt32(p[i + k])
            guard c & 0xC0 == 0x80 else { return (0xFFFD, i + 1) }
            v = v << 6 | (c & 0x3F)
        }
        let minimum: UInt32 = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000
        guard v >= minimum, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { return (0xFFFD, i + 1) }
        return (v, i + len)
    }

    /// A JSON/Python string escape at `i` (a backslash): whitespace escapes separate, `\uXXXX`
    /// (with surrogate pairs) is the character, anything else leaves the backslash as
    /// punctuation.
    static func unescape(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (UInt32?, Int) {
        guard i + 1 < n else { return (nil, i + 1) }
        switch p[i + 1] {
        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "f"), UInt8(ascii: "b"),
             UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "'"):
            return (nil, i + 2)
        case UInt8(ascii: "u"):
            guard let hi = hex4(p, n, i + 2) else { return (nil, i + 1) }
            if (0xD800...0xDBFF).contains(hi), i + 11 < n, p[i + 6] == UInt8(ascii: "\\"), p[i + 7] == UInt8(ascii: "u"),
               let lo = hex4(p, n, i + 8), (0xDC00...0xDFFF).contains(lo) {
                return (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 12)
            }
            if (0xD800...0xDFFF).contains(hi) { return (0xFFFD, i + 6) }
            return (hi, i + 6)
        default:
            return (nil, i + 1)
        }
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> UInt32? {
        guard i + 4 <= n else { return nil }
        // Branch-free per digit (selects, not jumps): escapes hold digits and letters at random.
        var v: UInt32 = 0
        var valid = true
        for k in 0..<4 {
            let c = p[i + k]
            let digit = c &- 0x30, letter = (c | 0x20) &- 0x61
            valid = valid && (digit < 10 || letter < 6)
            v = v << 4 | UInt32(digit < 10 ? digit : letter &+ 10)
        }
        return valid ? v : nil
    }

    /// The lowercase scalar to hash, or nil when `s` separates tokens.
    @inline(__always)
    static func wordScalar(_ s: UInt32) -> UInt32? {
        // CJK, Hangul and most other scripts past the punctuation blocks: themselves.
        if s >= 0x3040 && s < 0xFEFF { return s }
        switch s {
        case 0x30...0x39, 0x61...0x7A: return s
        case 0x41...0x5A: return s + 0x20
        case 0...0x7F: return nil
        case 0x80...0xBF, 0xD7, 0xF7: return nil  // C1 controls, no-break space, Latin-1 punctuation, × ÷
        case 0xC0...0xDE: return s + 0x20
        case 0x391...0x3A9 where s != 0x3A2: return s + 0x20  // Greek capitals
        case 0x410...0x42F: return s + 0x20  // Cyrillic capitals
        case 0x400...0x40F: return s + 0x50
        case 0x2000...0x206F, 0x3000...0x303F, 0xFF01...0xFF0F, 0xFF1A...0xFF20, 0xFEFF: return nil
        default: return s
        }
    }
}

struct HashingSink: TokenSink {
    var hashes: [UInt64] = []
    mutating func token(hash: UInt64, at offset: Int) { hashes.append(hash) }
}

/// A token's bytes packed 8 to a little-endian word (the last word zero-padded; token bytes are
/// never zero), each word xored in and multiplied, then a bijective finaliser. Packing keeps
/// the per-byte work to a shift and an or, and lets `BlockLexer` hash a token with one load
/// per 8 bytes; a token of at most 8 bytes maps to its hash one-to-one, so the common short
/// tokens never collide.
enum TokenHash {
    static let seed: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always) static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 { (h ^ word) &* 0x9E37_79B9_7F4A_7C15 }

    /// A token's hash, fed one byte at a time.
    struct Packer {
        var h = TokenHash.seed
        var word: UInt64 = 0
        var shift: UInt64 = 0

        @inline(__always) mutating func add(_ b: UInt8) {
            word |= UInt64(b) &<< shift
            shift &+= 8
            if shift == 64 {
                h = TokenHash.mix(h, word)
                word = 0
                shift = 0
            }
        }

        @inline(__always) var hash: UInt64 { finish(shift == 0 ? h : mix(h, word)) }
    }

    /// One xorshift-multiply-xorshift round: bijective, so it adds no collisions.
    @inline(__always) static func finish(_ x: UInt64) -> UInt64 {
        var h = x ^ (x &>> 32)
        h &*= 0xFF51_AFD7_ED55_8CCD
        return h ^ (h &>> 29)
    }

    /// The hash of a whole token's bytes.
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var packer = Packer()
        for b in bytes { packer.add(b) }
        return packer.hash
    }
}

struct CollectingSink: TokenSink {
    var tokens: [[UInt8]] = []
    var current: [UInt8] = []
    mutating func byte(_ b: UInt8) { current.append(b) }
    mutating func token(hash: UInt64, at offset: Int) {
        tokens.append(current)
        current.removeAll(keepingCapacity: true)
    }
}
