/// The scanner's fast path: the same tokens, hashes and offsets as `Lexer`, found 256 bytes at a
/// time with bit masks instead of a branch per byte.
///
/// Per chunk, 8 bytes at a time (SWAR, plain integer arithmetic), it lowercases the bytes into a
/// scratch copy and builds one bit per byte for "letter or digit". Tokens are then the runs of
/// set bits: each start and end comes from a trailing-zero count, and a token's hash from one
/// load per 8 bytes of the scratch copy (`TokenHash` packs bytes the same way). The scalar lexer
/// branches at every token end, a misprediction each time the token length changes; here the
/// branches are per mask word.
///
/// Non-ASCII characters and (in escaped formats) backslash escapes are rare positions in most
/// files; `fixUp` decodes each one as `Lexer` does and sets its bytes' bits. A character that
/// lowercases to the same length is rewritten in the scratch copy; an escape or invalid UTF-8,
/// whose normalised bytes differ from the file's, is kept decoded beside it for the hash of its
/// token. A token or character cut by the chunk's end is not emitted; the next chunk
/// starts at it. Only a token longer than a whole chunk is left to `Lexer` entirely.
enum BlockLexer {
    static let chunk = 256
    static let maxWords = chunk / 64 + 1

    static func run<S: TokenSink>(_ buffer: UnsafeRawBufferPointer, escapes: Bool, into sink: inout S) {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return }
        let n = buffer.count
        // Lowercased chunk bytes, padding to the last mask word, and 8 bytes of slack for loads.
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: maxWords * 64 + 8, alignment: 8)
        // The last chunk, copied and zero-padded so that its last token ends inside the masks.
        let tail = UnsafeMutableRawPointer.allocate(byteCount: maxWords * 64, alignment: 8)
        let wordBits = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        let unusualBits = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        let dirtyBits = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        // For each dirty unit (an escape, an invalid byte), at its first byte: what it decodes to.
        let units = UnsafeMutablePointer<DecodedUnit>.allocate(capacity: maxWords * 64)
        defer {
            units.deallocate()
            scratch.deallocate()
            tail.deallocate()
            wordBits.deallocate()
            unusualBits.deallocate()
            dirtyBits.deallocate()
        }
        (scratch + chunk).initializeMemory(as: UInt8.self, repeating: 0, count: (maxWords - chunk / 64) * 64 + 8)
        var pos = 0
        while pos < n {
            let len = min(chunk, n - pos)
            let final = pos + len == n
            let words = final ? len / 64 + 1 : len / 64
            let source: UnsafeRawPointer
            if final {
                tail.copyMemory(from: base + pos, byteCount: len)
                (tail + len).initializeMemory(as: UInt8.self, repeating: 0, count: words * 64 - len)
                source = UnsafeRawPointer(tail)
            } else {
                source = UnsafeRawPointer(base + pos)
            }

            var anyUnusual: UInt64 = 0
            for w in 0..<words {
                var letters: UInt64 = 0, unusual: UInt64 = 0
                for g in 0..<8 {
                    let at = w &* 64 &+ g &* 8
                    let x = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                    let high = x & SWAR.highBits
                    let y = x & ~SWAR.highBits
                    let folded = y | SWAR.repeated(0x20)
                    let alpha = (folded &+ SWAR.repeated(0x1F)) & ~(folded &+ SWAR.repeated(0x05)) & ~high & SWAR.highBits
                    let digit = (y &+ SWAR.repeated(0x50)) & ~(y &+ SWAR.repeated(0x46)) & ~high & SWAR.highBits
                    scratch.storeBytes(of: (x | (alpha &>> 2)).littleEndian, toByteOffset: at, as: UInt64.self)
                    let shift = UInt64(g &* 8)
                    letters |= SWAR.gather(alpha | digit) &<< shift
                    let odd = escapes ? high | SWAR.zeroBytes(x ^ SWAR.repeated(0x5C)) : high
                    unusual |= SWAR.gather(odd) &<< shift
                }
                wordBits[w] = letters
                unusualBits[w] = unusual
                anyUnusual |= unusual
            }
            let dirty = anyUnusual != 0
                && fixUp(base, n, pos: pos, len: len, words: words, escapes: escapes, scratch: scratch,
                         wordBits: wordBits, unusualBits: unusualBits, dirtyBits: dirtyBits, units: units)

            // Token starts are 0→1 steps of the letter bits, ends (one past the last byte) 1→0.
            var sw = 0, ew = 0
            var starts = wordBits[0] & ~(wordBits[0] &<< 1)
            var ends = ~wordBits[0] & (wordBits[0] &<< 1)
            var resume = len
            tokens: while true {
                while starts == 0 {
                    sw &+= 1
                    guard sw < words else { break tokens }
                    starts = wordBits[sw] & ~((wordBits[sw] &<< 1) | (wordBits[sw &- 1] &>> 63))
                }
                let s = sw &<< 6 | starts.trailingZeroBitCount
                starts &= starts &- 1
                while ends == 0 {
                    ew &+= 1
                    guard ew < words else {
                        // Cut by the chunk's end: the next chunk starts at this token.
                        resume = s
                        break tokens
                    }
                    ends = ~wordBits[ew] & ((wordBits[ew] &<< 1) | (wordBits[ew &- 1] &>> 63))
                }
                let e = ew &<< 6 | ends.trailingZeroBitCount
                ends &= ends &- 1

                if dirty && Bits.any(dirtyBits, s, e) {
                    // Normalised bytes from the scratch copy, and from `units` where the file's differ.
                    var packer = TokenHash.Packer()
                    var p = s
                    while p < e {
                        guard dirtyBits[p >> 6] & (1 &<< UInt64(p & 63)) != 0 else {
                            packer.add(scratch.load(fromByteOffset: p, as: UInt8.self))
                            p &+= 1
                            continue
                        }
                        let (bytes, count) = UTF8Length.encode(units[p].scalar)
                        for k in 0..<count { packer.add(UInt8(truncatingIfNeeded: bytes &>> UInt32(8 &* k))) }
                        p &+= Int(units[p].length)
                    }
                    sink.token(hash: packer.hash, at: pos &+ s)
                    continue
                }
                var h = TokenHash.seed
                var at = s
                while e &- at > 8 {
                    h = TokenHash.mix(h, UInt64(littleEndian: scratch.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                    at &+= 8
                }
                let last = UInt64(littleEndian: scratch.loadUnaligned(fromByteOffset: at, as: UInt64.self)) & (~UInt64(0) &>> UInt64(64 &- 8 &* (e &- at)))
                sink.token(hash: TokenHash.finish(TokenHash.mix(h, last)), at: pos &+ s)
            }
            if resume == 0 {
                // One token fills the whole chunk: `Lexer` reads it to its end.
                pos = Lexer.run(base, n, from: pos, stopAt: pos + len, escapes: escapes, into: &sink)
                continue
            }
            pos &+= resume
        }
    }

    /// Decodes the chunk's non-ASCII characters and escapes in order, as `Lexer` would, and
    /// sets each one's bytes in `wordBits`; returns whether any token byte must be hashed from
    /// the file (its bytes then marked in `dirtyBits`).
    @inline(never)
    static func fixUp(_ base: UnsafePointer<UInt8>, _ n: Int, pos: Int, len: Int, words: Int, escapes: Bool,
                      scratch: UnsafeMutableRawPointer, wordBits: UnsafeMutablePointer<UInt64>,
                      unusualBits: UnsafeMutablePointer<UInt64>, dirtyBits: UnsafeMutablePointer<UInt64>,
                      units: UnsafeMutablePointer<DecodedUnit>) -> Bool {
        for w in 0..<words { dirtyBits[w] = 0 }
        var dirty = false
        var next = 0  // the first byte not consumed by an earlier character or escape
        for w in 0..<words {
            var b = unusualBits[w]
            while true {
                // Bytes inside characters and escapes already read are not starts of new ones.
                let consumed = next &- w &<< 6
                if consumed >= 64 { break }
                if consumed > 0 { b &= ~((1 &<< UInt64(consumed)) &- 1) }
                guard b != 0 else { break }
                let j = w &<< 6 | b.trailingZeroBitCount
                guard j < len else { break }
                let i = pos + j
                let isEscape = base[i] == UInt8(ascii: "\\")
                let (scalar, end) = isEscape ? Lexer.unescape(base, n, i) : Lexer.decodeUTF8(base, n, i)
                let k = end - i
                next = j + k
                if j + k > len {
                    // Cut by the chunk's end: marking it as a word makes the token loop stop at
                    // it (or at the token it continues) and the next chunk start there.
                    Bits.set(wordBits, j, len, true)
                    return dirty
                }
                guard let scalar, let word = Lexer.wordScalar(scalar) else {
                    Bits.set(wordBits, j, j + k, false)
                    continue
                }
                Bits.set(wordBits, j, j + k, true)
                if isEscape {
                    Bits.set(dirtyBits, j, j + k, true)
                    units[j] = DecodedUnit(scalar: word, length: UInt8(k))
                    dirty = true
                    continue
                }
                if word == scalar && UTF8Length.of(scalar) == k {
                    // The file's bytes are the normalised bytes; so are, in most non-Latin
                    // text, the characters that follow: mark the whole run at once.
                    var runEnd = j + k
                    while runEnd < len && base[pos + runEnd] >= 0x80 {
                        // Most CJK: leads E4–EC and EE (U+4000–U+CFFF, U+E000–U+EFFF) are words
                        // that are never lowercased; only the continuation bytes need checking.
                        let lead = base[pos + runEnd]
                        if (lead &- 0xE4 < 9 || lead == 0xEE) && runEnd + 3 <= len
                            && base[pos + runEnd + 1] & 0xC0 == 0x80 && base[pos + runEnd + 2] & 0xC0 == 0x80 {
                            runEnd += 3
                            continue
                        }
                        let (s2, e2) = Lexer.decodeUTF8(base, n, pos + runEnd)
                        let k2 = e2 - (pos + runEnd)
                        guard let s2, runEnd + k2 <= len, Lexer.wordScalar(s2) == s2, UTF8Length.of(s2) == k2 else { break }
                        runEnd += k2
                    }
                    Bits.set(wordBits, j + k, runEnd, true)
                    next = runEnd
                    continue
                }
                if word != scalar && k == 2 && UTF8Length.of(word) == 2 {
                    // Every lowercasing `Lexer.wordScalar` does maps a 2-byte character to a 2-byte one.
                    scratch.storeBytes(of: UInt16(truncatingIfNeeded: UTF8Length.encode(word).bytes).littleEndian, toByteOffset: j, as: UInt16.self)
                    continue
                }
                // Invalid UTF-8 (U+FFFD for one byte): the normalised bytes are longer.
                Bits.set(dirtyBits, j, j + k, true)
                units[j] = DecodedUnit(scalar: word, length: UInt8(k))
                dirty = true
            }
        }
        return dirty
    }
}

enum UTF8Length {
    @inline(__always) static func of(_ s: UInt32) -> Int { s < 0x80 ? 1 : s < 0x800 ? 2 : s < 0x10000 ? 3 : 4 }

    /// The UTF-8 bytes of scalar `s`, first byte lowest, and their count.
    @inline(__always) static func encode(_ s: UInt32) -> (bytes: UInt32, count: Int) {
        switch of(s) {
        case 1: return (s, 1)
        case 2: return ((0xC0 | s &>> 6) | (0x80 | s & 0x3F) &<< 8, 2)
        case 3: return ((0xE0 | s &>> 12) | (0x80 | s &>> 6 & 0x3F) &<< 8 | (0x80 | s & 0x3F) &<< 16, 3)
        default: return ((0xF0 | s &>> 18) | (0x80 | s &>> 12 & 0x3F) &<< 8 | (0x80 | s &>> 6 & 0x3F) &<< 16 | (0x80 | s & 0x3F) &<< 24, 4)
        }
    }
}

/// What a character or escape whose normalised bytes differ from the file's decodes to, and how
/// many bytes of the file it takes.
struct DecodedUnit {
    var scalar: UInt32
    var length: UInt8
}

/// Ranges of bits in an array of UInt64 masks (bit k of word w is byte 64·w + k).
enum Bits {
    @inline(__always) static func mask(_ lo: Int, _ hi: Int) -> UInt64 {
        (hi &- lo == 64 ? ~UInt64(0) : (1 &<< UInt64(hi &- lo)) &- 1) &<< UInt64(lo)
    }

    static func set(_ bits: UnsafeMutablePointer<UInt64>, _ from: Int, _ to: Int, _ on: Bool) {
        var i = from
        while i < to {
            let lo = i & 63, hi = min(64, lo + (to - i))
            if on { bits[i >> 6] |= mask(lo, hi) } else { bits[i >> 6] &= ~mask(lo, hi) }
            i += hi - lo
        }
    }

    static func any(_ bits: UnsafePointer<UInt64>, _ from: Int, _ to: Int) -> Bool {
        var i = from
        while i < to {
            let lo = i & 63, hi = min(64, lo + (to - i))
            if bits[i >> 6] & mask(lo, hi) != 0 { return true }
            i += hi - lo
        }
        return false
    }
}

/// Byte-parallel arithmetic on the 8 bytes of a UInt64.
enum SWAR {
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func repeated(_ b: UInt8) -> UInt64 { UInt64(b) &* 0x0101_0101_0101_0101 }

    /// 0x80 in each byte of `x` that is zero, exactly (no borrow between bytes).
    @inline(__always) static func zeroBytes(_ x: UInt64) -> UInt64 {
        let low = ~highBits
        return ~(((x & low) &+ low) | x | low)
    }

    /// The high bit of byte k (0 = lowest address) of a 0x80-only mask, as bit k.
    @inline(__always) static func gather(_ m: UInt64) -> UInt64 {
        ((m &>> 7) &* 0x0102_0408_1020_4080) &>> 56
    }
}
