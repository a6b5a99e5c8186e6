/// Sums over a candidate c, its base b and a reference r; every distance and cosine of the
/// provenance report is a ratio of these.
public struct PairSums: Sendable, Equatable {
    /// Σ(c−b)²
    public var dd = 0.0
    /// Σb²
    public var bb = 0.0
    public init() {}
    public static func += (l: inout PairSums, r: PairSums) {
        l.dd += r.dd
        l.bb += r.bb
    }
}

public struct ReferenceSums: Sendable, Equatable {
    /// Σ(r−b)²
    public var ee = 0.0
    /// Σ(c−b)(r−b)
    public var de = 0.0
    /// Σ(c−r)²
    public var ff = 0.0
    /// Σr²
    public var rr = 0.0
    public init() {}
    public static func += (l: inout ReferenceSums, r: ReferenceSums) {
        l.ee += r.ee
        l.de += r.de
        l.ff += r.ff
        l.rr += r.rr
    }
}

/// The inner loops. Products are summed 8 lanes wide in Float over blocks of 256 elements (32
/// terms per lane, so rounding stays near Float epsilon) and each block is added into Double
/// accumulators; a multi-GB checkpoint therefore sums in Double without paying Double-width
/// arithmetic per element. No FMA: without a target-feature flag it would lower to a libm call.
enum TensorKernel {
    static let block = 256

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func wide(_ v: SIMD8<Float>) -> SIMD8<Double> { SIMD8<Double>(v) }

    static func pair(b: UnsafePointer<Float>, c: UnsafePointer<Float>, count n: Int) -> PairSums {
        var dd = SIMD8<Double>(), bb = SIMD8<Double>()
        var i = 0
        while i + block <= n {
            var fdd = SIMD8<Float>(), fbb = SIMD8<Float>()
            var k = i
            while k < i + block {
                let vb = load(b, k), vc = load(c, k)
                let d = vc - vb
                fdd += d * d
                fbb += vb * vb
                k += 8
            }
            dd += wide(fdd)
            bb += wide(fbb)
            i += block
        }
        var out = PairSums()
        out.dd = dd.sum()
        out.bb = bb.sum()
        while i < n {
            let vb = Double(b[i]), vc = Double(c[i])
            out.dd += (vc - vb) * (vc - vb)
            out.bb += vb * vb
            i += 1
        }
        return out
    }

    static func reference(b: UnsafePointer<Float>, c: UnsafePointer<Float>, r: UnsafePointer<Float>, count n: Int) -> ReferenceSums {
        var ee = SIMD8<Double>(), de = SIMD8<Double>(), ff = SIMD8<Double>(), rr = SIMD8<Double>()
        var i = 0
        while i + block <= n {
            var fee = SIMD8<Float>(), fde = SIMD8<Float>(), fff = SIMD8<Float>(), frr = SIMD8<Float>()
            var k = i
            while k < i + block {
                let vb = load(b, k), vc = load(c, k), vr = load(r, k)
                let d = vc - vb, e = vr - vb, f = vc - vr
                fee += e * e
                fde += d * e
                fff += f * f
                frr += vr * vr
                k += 8
            }
            ee += wide(fee)
            de += wide(fde)
            ff += wide(fff)
            rr += wide(frr)
            i += block
        }
        var out = ReferenceSums()
        out.ee = ee.sum()
        out.de = de.sum()
        out.ff = ff.sum()
        out.rr = rr.sum()
        while i < n {
            let vb = Double(b[i]), vc = Double(c[i]), vr = Double(r[i])
            out.ee += (vr - vb) * (vr - vb)
            out.de += (vc - vb) * (vr - vb)
            out.ff += (vc - vr) * (vc - vr)
            out.rr += vr * vr
            i += 1
        }
        return out
    }
}
