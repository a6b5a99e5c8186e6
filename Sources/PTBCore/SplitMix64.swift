import Foundation

/// SplitMix64: a tiny generator whose sequence is fixed by its seed on every platform and Swift
/// version (the standard library's generators and `random(in:)` make no such promise), so test
/// splits, bootstrap samples and fuzz cases never change between ptb versions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform index in 0..<n (multiply-shift; no modulo bias worth the name for n ≪ 2^32).
    public mutating func index(_ n: Int) -> Int {
        Int((UInt64(n).multipliedFullWidth(by: next())).high)
    }
}
