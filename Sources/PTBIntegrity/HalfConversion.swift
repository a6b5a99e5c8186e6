/// bf16 and IEEE half to Float by bit manipulation: exact for every input (checked exhaustively
/// in the tests), independent of CPU half-precision instructions, and vectorised 8 lanes wide
/// for the bulk loops of the provenance check.
public enum HalfConversion {
    /// bf16 is the top half of a Float.
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// IEEE 754 binary16 → binary32, including subnormals, infinities and NaN payloads.
    @inline(__always)
    public static func f16ToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x03FF)
        switch exp {
        case 0:
            // Subnormal (or zero): the value is mant × 2^-24, exact in Float.
            let magnitude = Float(mant) * 0x1p-24
            return Float(bitPattern: magnitude.bitPattern | sign)
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mant << 13)
        default:
            return Float(bitPattern: sign | (exp + 112) << 23 | mant << 13)
        }
    }

    /// Eight halves at once, branch-free: rebias the exponent, then patch the Inf/NaN and
    /// subnormal lanes (the subnormal trick renormalises through a float subtraction).
    @inline(__always)
    static func f16ToFloat8(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
        let x = SIMD8<UInt32>(truncatingIfNeeded: h)
        let sign = (x & 0x8000) &<< 16
        let shifted = (x & 0x7FFF) &<< 13
        let exp = shifted & 0x0F80_0000
        var o = shifted &+ 0x3800_0000  // (127 − 15) << 23
        o.replace(with: o &+ 0x3800_0000, where: exp .== 0x0F80_0000)  // Inf/NaN: exponent all ones
        let sub = exp .== 0
        let renorm = unsafeBitCast(o &+ 0x0080_0000, to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 0x1p-14)
        o.replace(with: unsafeBitCast(renorm, to: SIMD8<UInt32>.self), where: sub)
        return unsafeBitCast(o | sign, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func bf16ToFloat8(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
        unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD8<Float>.self)
    }

    /// Converts `count` elements of `dtype` at `src` (any alignment) into `dst`.
    public static func toFloat(_ src: UnsafeRawPointer, dtype: DType, count: Int, into dst: UnsafeMutablePointer<Float>) {
        precondition(dtype.isNumeric, "toFloat called for non-numeric dtype \(dtype)")
        let out = UnsafeMutableRawPointer(dst)
        switch dtype {
        case .f32:
            out.copyMemory(from: src, byteCount: count * 4)
        case .bf16:
            var i = 0
            while i + 8 <= count {
                let v = src.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
                out.storeBytes(of: bf16ToFloat8(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                dst[i] = bf16ToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                i += 1
            }
        default:
            var i = 0
            while i + 8 <= count {
                let v = src.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
                out.storeBytes(of: f16ToFloat8(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                dst[i] = f16ToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                i += 1
            }
        }
    }
}
