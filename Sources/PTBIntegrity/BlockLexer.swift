/// The scanner's fast path: the same tokens, hashes and offsets as `Lexer`, found 256 bytes at a
/// time with bit masks instead of a branch per byte.
///
/// Per chunk, 8 bytes at a time (SWAR, plain integer arithmetic), it lowercases the bytes into a
/// scratch copy and builds one bit per byte for "letter or digit". Tokens are
/// then the runs of set bits: each start and end comes from a trailing-zero count, and a token's
/// hash from one load per 8 bytes of the scratch copy (`TokenHash` packs bytes the same way).
/// The scalar lexer branches at every token end, a misprediction each time the token length
/// changes; here the branches are per mask word.
///
/// What the masks cannot express is left to `Lexer`, which runs from the chunk's start to the
/// next token boundary after its end: non-ASCII bytes, `\\` and `\u` escapes, and tokens longer
/// than a chunk. The common escapes (`\n`, `\t`, `\r`, `\f`, `\b`) are handled here by clearing
/// the escaped letter's bit. A token cut by the chunk's end is not emitted; the next chunk
/// starts at it.
enum BlockLexer {
    static let chunk = 256

    static func run<S: TokenSink>(_ buffer: UnsafeRawBufferPointer, escapes: Bool, into sink: inout S) {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return }
        let n = buffer.count
        let maxWords = chunk / 64 + 1
        // Lowercased chunk bytes, padding to the last mask word, and 8 bytes of slack for loads.
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: maxWords * 64 + 8, alignment: 8)
        // The last chunk, copied and zero-padded so that its last token ends inside the masks.
        let tail = UnsafeMutableRawPointer.allocate(byteCount: maxWords * 64, alignment: 8)
        let wordBits = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        let escapeBits = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        defer {
            scratch.deallocate()
            tail.deallocate()
            wordBits.deallocate()
            escapeBits.deallocate()
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

            var nonASCII: UInt64 = 0
            for w in 0..<words {
                var letters: UInt64 = 0, backslashes: UInt64 = 0
                for g in 0..<8 {
                    let at = w &* 64 &+ g &* 8
                    let x = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                    let high = x & SWAR.highBits
                    nonASCII |= high
                    let y = x & ~SWAR.highBits
                    let folded = y | SWAR.repeated(0x20)
                    let alpha = (folded &+ SWAR.repeated(0x1F)) & ~(folded &+ SWAR.repeated(0x05)) & ~high & SWAR.highBits
                    let digit = (y &+ SWAR.repeated(0x50)) & ~(y &+ SWAR.repeated(0x46)) & ~high & SWAR.highBits
                    scratch.storeBytes(of: (x | (alpha &>> 2)).littleEndian, toByteOffset: at, as: UInt64.self)
                    let shift = UInt64(g &* 8)
                    letters |= SWAR.gather(alpha | digit) &<< shift
                    if escapes { backslashes |= SWAR.gather(SWAR.zeroBytes(x ^ SWAR.repeated(0x5C))) &<< shift }
                }
                wordBits[w] = letters
                escapeBits[w] = backslashes
            }

            var special = nonASCII != 0
            var skipNext = false
            if escapes && !special {
                // `\n` and its kind: the letter after the backslash separates. `\\` and `\u`
                // depend on what came before or decode to a character: left to `Lexer`.
                scan: for w in 0..<words {
                    var b = escapeBits[w]
                    while b != 0 {
                        let j = w &* 64 &+ b.trailingZeroBitCount
                        b &= b &- 1
                        guard pos + j + 1 < n else { continue }
                        switch base[pos + j + 1] {
                        case UInt8(ascii: "\\"), UInt8(ascii: "u"):
                            special = true
                            break scan
                        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "f"), UInt8(ascii: "b"):
                            if j + 1 < len {
                                wordBits[(j + 1) >> 6] &= ~(1 &<< UInt64((j + 1) & 63))
                            } else {
                                skipNext = true
                            }
                        default:
                            break
                        }
                    }
                }
            }
            if special {
                pos = Lexer.run(base, n, from: pos, stopAt: pos + len, escapes: escapes, into: &sink)
                continue
            }

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
            if skipNext && resume == len { pos &+= 1 }
        }
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
