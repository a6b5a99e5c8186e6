import Dispatch
import Foundation
import PTBCore

/// `fingerprint.json`: what a submission's weights are, small enough to keep for every run and
/// compare against thousands of others. Per tensor: the SHA-256 of its raw bytes (exact copies)
/// and its values at a few pseudo-random positions (near copies: a copy with noise added keeps
/// the other run's update, which the samples see).
///
/// The positions are keyed by a per-installation secret that no sandbox shows: an agent that
/// knew them could leave the samples of a copied checkpoint far from the original while barely
/// touching the model. Fingerprints made with different keys are compared by hash only.
public struct Fingerprint: Codable, Sendable, Equatable {
    public static let fileName = "fingerprint.json"
    /// Values sampled per float tensor. 32 × ~300 tensors of a 1–8 B model is ~10 k samples,
    /// ~40 KB per run: enough to estimate whole-model distances to a few per cent (see
    /// NOTES-fingerprint.md), small enough to scan thousands of runs in the index.
    public static let samplesPerTensor = 32
    public static let currentSchema = 1

    public struct Tensor: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var sha256: String
        /// The sampled values as little-endian Float32 (base64 in JSON); nil for tensors that are
        /// not F32/F16/BF16, which are compared by hash only.
        public var samples: Data?

        public init(name: String, dtype: String, shape: [Int], sha256: String, samples: Data?) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.sha256 = sha256
            self.samples = samples
        }

        /// A float tensor's entry from already sampled values (synthetic fingerprints, tests).
        public init(name: String, dtype: DType, shape: [Int], sha256: String, values: [Float]) {
            self.init(name: name, dtype: dtype.rawValue, shape: shape, sha256: sha256, samples: Fingerprint.data(values))
        }

        public var elementCount: Int { shape.reduce(1, *) }
        public var values: [Float] { samples.map(Fingerprint.floats) ?? [] }
    }

    public var schemaVersion: Int
    /// Names the key that placed the samples (a hash of it, never the key).
    public var keyID: String
    /// SHA-256 over the sorted (name, dtype, shape, tensor hash) list: equal weights, equal id.
    public var weightsSHA256: String
    /// Sorted by name.
    public var tensors: [Tensor]

    public init(keyID: String, tensors: [Tensor]) {
        schemaVersion = Self.currentSchema
        self.keyID = keyID
        self.tensors = tensors.sorted { $0.name < $1.name }
        weightsSHA256 = Self.combinedHash(self.tensors)
    }

    /// The fingerprint of a checkpoint (a `.safetensors` file or a model directory), read with
    /// the strict safetensors reader: a file it refuses is an error, never a partial fingerprint.
    public static func compute(_ url: URL, key: UInt64, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) throws(SafetensorsError) -> Fingerprint {
        let c = try Checkpoint(url)
        let names = c.namesInStorageOrder
        let out = UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: names.count)
        out.initialize(repeating: nil)
        defer { out.deinitialize(); out.deallocate() }
        // Each iteration writes only its own slot; the mapping is read-only.
        let slots = UncheckedSendable(out)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, names.count))) { w in
            var i = w
            while i < names.count {
                let e = c[names[i]]!
                slots.value[i] = tensor(names[i], c.bytes(e), e.info, key: key)
                c.release(e)
                i += max(1, min(jobs, names.count))
            }
        }
        return Fingerprint(keyID: keyID(key), tensors: out.map { $0! })
    }

    static func tensor(_ name: String, _ bytes: UnsafeRawBufferPointer, _ info: TensorInfo, key: UInt64) -> Tensor {
        let digest = SHA256.hex(bytes)
        var samples: Data?
        if info.dtype.isNumeric {
            let positions = Self.positions(name: name, count: info.elementCount, key: key)
            var values = [Float](repeating: 0, count: positions.count)
            let w = info.dtype.bits / 8
            values.withUnsafeMutableBufferPointer { dst in
                for (k, p) in positions.enumerated() {
                    HalfConversion.toFloat(bytes.baseAddress! + p * w, dtype: info.dtype, count: 1, into: dst.baseAddress! + k)
                }
            }
            samples = Self.data(values)
        }
        return Tensor(name: name, dtype: info.dtype.rawValue, shape: info.shape, sha256: digest, samples: samples)
    }

    /// One position in each of `m` equal strata of the tensor, so every part of it (every block
    /// of embedding rows, every layer slice) is represented; fixed by key, name and size.
    public static func positions(name: String, count n: Int, key: UInt64) -> [Int] {
        let m = min(n, samplesPerTensor)
        guard m > 0 else { return [] }
        var rng = SplitMix64(seed: key ^ fnv1a(name) ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15))
        return (0..<m).map { i in
            let lo = i * (n / m) + min(i, n % m), hi = lo + n / m + (i < n % m ? 1 : 0)
            return lo + rng.index(hi - lo)
        }
    }

    public static func keyID(_ key: UInt64) -> String {
        String(Hashing.sha256(Data("ptb-fingerprint-key:\(key)".utf8)).prefix(16))
    }

    /// The secret behind the sample positions of this installation.
    public static func installationKey(_ home: PTBHome) throws -> UInt64 {
        try InstallationSecret.value(named: "fingerprint-key", home: home)
    }

    static func combinedHash(_ sorted: [Tensor]) -> String {
        var h = SHA256()
        for t in sorted { h.update("\(t.name)\t\(t.dtype)\t\(t.shape)\t\(t.sha256)\n") }
        return h.finalizeHex()
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    static func data(_ v: [Float]) -> Data {
        var d = Data(capacity: v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    static func floats(_ d: Data) -> [Float] {
        d.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    // MARK: Index sketch

    /// Dimensions of the index sketch.
    public static let sketchDimensions = 256

    /// Which samples a fingerprint has, in order: sketches are comparable only between equal
    /// layouts (the same base architecture).
    public var layoutID: String {
        var h = SHA256()
        for t in tensors where t.samples != nil { h.update("\(t.name)\t\(t.shape)\t\(t.samples!.count / 4)\n") }
        return String(h.finalizeHex().prefix(32))
    }

    /// A fixed sparse random projection of all samples, each weighted by √(elements/samples)
    /// of its tensor, into `sketchDimensions` floats: every sample is added with a random sign
    /// into 4 random dimensions (a count sketch, so computing it costs 4 additions per sample).
    /// It is linear, so sketch(c) − sketch(b) is the projection of the update c − b, and squared
    /// distances between sketches estimate the whole-model squared distances of the full
    /// comparison (to ~10 %, see NOTES-fingerprint.md). The index keeps only this (1 KB) per
    /// run; a submission is compared in full only with the runs it screens close to.
    public func sketch() -> [Float] {
        let k = Self.sketchDimensions, s = 4
        var z = [Double](repeating: 0, count: k)
        var coordinate: UInt64 = 0
        for t in tensors {
            let v = t.values
            guard !v.isEmpty else { continue }
            let w = (Double(t.elementCount) / Double(v.count)).squareRoot()
            for x in v {
                let y = w * Double(x)
                var rng = SplitMix64(seed: 0x5EED_5CE7_C400_0000 ^ coordinate)
                coordinate += 1
                for _ in 0..<s {
                    let bits = rng.next()
                    z[Int(bits % UInt64(k))] += (bits >> 32) & 1 == 1 ? y : -y
                }
            }
        }
        let scale = 1 / Double(s).squareRoot()
        return z.map { Float($0 * scale) }
    }

    /// ‖c−a‖/‖a−b‖ and cos(c−b, a−b) estimated from sketches: distance infinite and cosine nil
    /// when the other checkpoint's sketch is the base's (it has no update to copy); nil when a
    /// sketch is not finite (only the full comparison can tell).
    public static func sketchComparison(candidate c: [Float], other a: [Float], base b: [Float]) -> (distance: Double, cosine: Double?)? {
        guard c.count == a.count, a.count == b.count else { return nil }
        var dd = 0.0, aa = 0.0, cc = 0.0, dot = 0.0
        for i in c.indices {
            let x = Double(c[i]), y = Double(a[i]), z = Double(b[i])
            dd += (x - y) * (x - y)
            aa += (y - z) * (y - z)
            cc += (x - z) * (x - z)
            dot += (x - z) * (y - z)
        }
        guard dd.isFinite, aa.isFinite, cc.isFinite, dot.isFinite else { return nil }
        guard aa > 0 else { return (.infinity, nil) }
        return ((dd / aa).squareRoot(), cc > 0 ? dot / (cc * aa).squareRoot() : nil)
    }

    // MARK: Files

    public func write(to url: URL) throws { try JSONIO.write(self, to: url) }

    public static func read(_ url: URL) throws -> Fingerprint {
        let f = try JSONIO.read(Fingerprint.self, from: url)
        guard f.schemaVersion == currentSchema else {
            throw PTBError.io("\(url.path) has fingerprint schema \(f.schemaVersion), this ptb reads \(currentSchema); delete it and re-run the integrity phase to recompute it.")
        }
        return f
    }

    /// A checkpoint's fingerprint from `cacheDir`, computed and stored there on first use. The
    /// cache entry is named by the checkpoint's path, its weight files' sizes and mtimes, and
    /// the key, so a changed or replaced checkpoint is fingerprinted again.
    public static func cached(_ url: URL, key: UInt64, cacheDir: URL) throws -> Fingerprint {
        let fm = FileManager.default
        var stamp = url.standardizedFileURL.path + "\n" + keyID(key)
        var isDir: ObjCBool = false
        _ = fm.fileExists(atPath: url.path, isDirectory: &isDir)
        let files = isDir.boolValue ? ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".safetensors") || $0 == Checkpoint.indexName }.sorted().map { url.appendingPathComponent($0) } : [url]
        for f in files {
            let a = try? fm.attributesOfItem(atPath: f.resolvingSymlinksInPath().path)
            stamp += "\n\(f.lastPathComponent) \((a?[.size] as? NSNumber)?.int64Value ?? -1) \((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)"
        }
        let entry = cacheDir.appendingPathComponent(String(Hashing.sha256(Data(stamp.utf8)).prefix(24)) + ".json")
        if let f = try? read(entry), f.keyID == keyID(key) { return f }
        let f = try compute(url, key: key)
        try? fm.createDirectory(at: cacheDir, withIntermediateDirectories: true)
        try? f.write(to: entry)
        return f
    }
}

/// How a submission relates to one other checkpoint (another run's submission or a reference),
/// both seen from their common base.
///
/// With c, a, b the candidate, the other checkpoint and the base (estimated from the samples,
/// each tensor weighted by elements/samples so sums estimate whole-model sums):
/// `distance` = ‖c−a‖/‖a−b‖, the candidate's distance from the other checkpoint in units of
/// that checkpoint's own update. A copy of `a` with noise of norm ε sits at ε/‖a−b‖; an
/// independent fine-tune sits at √(‖c−b‖²/‖a−b‖² + 1 − 2·share): 0.14–0.41 for the same recipe
/// run with another seed, ≥ 0.85 for other recipes (measured, NOTES-fingerprint.md). A checkpoint that is the
/// base unchanged has no update to copy, so it never matches, and neither does a candidate
/// that is the base: two runs that both submit the base do not flag each other.
public struct FingerprintComparison: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        /// Every tensor byte-identical.
        case identical
        /// Within the distance threshold, or tensors that differ from the base copied byte for byte.
        case nearDuplicate = "near-duplicate"
        case distinct
        /// The candidate is the base unchanged: it copies nobody's work.
        case candidateIsBase = "candidate-is-base"
        /// The other checkpoint is the base unchanged: there is nothing of it to copy.
        case otherIsBase = "other-is-base"
        /// Different key or no shared float tensors: only hashes were compared.
        case notComparable = "not-comparable"
    }

    public var other: String
    public var verdict: Verdict
    /// Tensors byte-identical to the other checkpoint's although they differ from the base.
    public var copiedTensors: Int
    /// Tensors of the candidate that differ from the base.
    public var changedTensors: Int
    /// Float tensors present in all three with the same shape and finite samples.
    public var comparedTensors: Int
    public var candidateFromBase: Double?
    public var otherFromBase: Double?
    public var distance: Double?
    public var updateCosine: Double?
    /// ⟨c−b, a−b⟩/‖a−b‖²: how much of the other's update the candidate carries (1 for a copy).
    public var share: Double?

    public var isDuplicate: Bool { verdict == .identical || verdict == .nearDuplicate }

    /// At or below this `distance` the candidate is a near copy. 0.1, from real fine-tunes of
    /// `tiny` (NOTES-fingerprint.md): the closest honest pair, the same short low-lr recipe
    /// run with two seeds (lr 1e-4 × 100 steps, update cosine 0.99), sat at 0.138; other
    /// same-recipe pairs at 0.34–0.41, different recipes ≥ 0.85. A copy with Gaussian noise of
    /// relative size ε sits at ε/‖a−b‖·‖b‖: noise up to a tenth of the copied run's own update
    /// is caught (ε = 1e-2 on every measured fine-tune but that shortest one).
    public static let defaultThreshold = 0.1
    /// At or above this update cosine the candidate is the other's update rescaled (b + λ(a−b),
    /// a merge toward the base or an extrapolation), whatever λ. 0.999: the most aligned honest
    /// pair measured 0.9904 (the same lr 1e-4 × 100 recipe), rescaled copies 0.9996–1.
    public static let defaultMinUpdateCosine = 0.999

    public static func compare(candidate c: Fingerprint, other a: Fingerprint, base b: Fingerprint, otherName: String,
                               threshold: Double = defaultThreshold, minUpdateCosine: Double = defaultMinUpdateCosine) -> FingerprintComparison {
        compare(candidate: Decoded(c), other: Decoded(a), base: Decoded(b), otherName: otherName, threshold: threshold, minUpdateCosine: minUpdateCosine)
    }

    /// A fingerprint with its samples decoded once, for comparing one candidate against many.
    public struct Decoded: Sendable {
        public let fingerprint: Fingerprint
        let values: [[Float]]
        public init(_ f: Fingerprint) {
            fingerprint = f
            values = f.tensors.map(\.values)
        }
    }

    /// For each tensor of `x`, the index of the same-named tensor in `y`; both are sorted by name.
    static func align(_ x: [Fingerprint.Tensor], _ y: [Fingerprint.Tensor]) -> [Int?] {
        var out = [Int?](repeating: nil, count: x.count)
        var j = 0
        for i in x.indices {
            while j < y.count, y[j].name < x[i].name { j += 1 }
            if j < y.count, y[j].name == x[i].name { out[i] = j }
        }
        return out
    }

    public static func compare(candidate cd: Decoded, other ad: Decoded, base bd: Decoded, otherName: String,
                               threshold: Double = defaultThreshold, minUpdateCosine: Double = defaultMinUpdateCosine) -> FingerprintComparison {
        let c = cd.fingerprint, a = ad.fingerprint, b = bd.fingerprint
        var r = FingerprintComparison(other: otherName, verdict: .distinct, copiedTensors: 0, changedTensors: 0, comparedTensors: 0)
        let sameKey = c.keyID == b.keyID && a.keyID == b.keyID
        let cb = align(c.tensors, b.tensors), ca = align(c.tensors, a.tensors), ab = align(a.tensors, b.tensors)
        let otherChanged = a.tensors.indices.contains { i in
            ab[i].map { !unchanged(a.tensors[i], ad.values[i], from: b.tensors[$0], bd.values[$0], samplesComparable: sameKey) } ?? true
        }
        for (i, t) in c.tensors.enumerated() {
            let changed = cb[i].map { !unchanged(t, cd.values[i], from: b.tensors[$0], bd.values[$0], samplesComparable: sameKey) } ?? true
            guard changed else { continue }
            r.changedTensors += 1
            // Same dtype as the base only: two runs that both cast a frozen tensor share its bytes.
            if let k = ca[i], a.tensors[k].sha256 == t.sha256, a.tensors[k].shape == t.shape,
               t.dtype == cb[i].map({ b.tensors[$0].dtype }) ?? t.dtype { r.copiedTensors += 1 }
        }
        if r.changedTensors == 0, c.tensors.count == b.tensors.count { r.verdict = .candidateIsBase; return r }
        if !otherChanged, a.tensors.count == b.tensors.count { r.verdict = .otherIsBase; return r }
        if c.weightsSHA256 == a.weightsSHA256 { r.verdict = .identical; return r }

        var cc = 0.0, aa = 0.0, dd = 0.0, dot = 0.0, bb = 0.0
        if sameKey {
            for (i, t) in c.tensors.enumerated() {
                guard let k = ca[i], let m = cb[i], a.tensors[k].shape == t.shape, b.tensors[m].shape == t.shape else { continue }
                let cv = cd.values[i], av = ad.values[k], bv = bd.values[m]
                guard !cv.isEmpty, cv.count == av.count, cv.count == bv.count else { continue }
                let w = Double(t.elementCount) / Double(cv.count)
                var tcc = 0.0, taa = 0.0, tdd = 0.0, tdot = 0.0, tbb = 0.0
                for k in cv.indices {
                    let x = Double(cv[k]), y = Double(av[k]), z = Double(bv[k])
                    tcc += (x - z) * (x - z)
                    taa += (y - z) * (y - z)
                    tdd += (x - y) * (x - y)
                    tdot += (x - z) * (y - z)
                    tbb += z * z
                }
                guard [tcc, taa, tdd, tdot, tbb].allSatisfy(\.isFinite) else { continue }
                r.comparedTensors += 1
                cc += w * tcc; aa += w * taa; dd += w * tdd; dot += w * tdot; bb += w * tbb
            }
        }
        r.candidateFromBase = bb > 0 ? (cc / bb).squareRoot() : nil
        r.otherFromBase = bb > 0 ? (aa / bb).squareRoot() : nil
        r.distance = aa > 0 ? (dd / aa).squareRoot() : nil
        r.updateCosine = aa > 0 && cc > 0 ? dot / (cc * aa).squareRoot() : nil
        r.share = aa > 0 ? dot / aa : nil
        if let d = r.distance, d <= threshold {
            r.verdict = .nearDuplicate
        } else if let cos = r.updateCosine, cos >= minUpdateCosine {
            r.verdict = .nearDuplicate
        } else if r.copiedTensors > 0 {
            // A trained tensor equal to another run's, byte for byte, is not a coincidence.
            r.verdict = .nearDuplicate
        } else if r.comparedTensors == 0 {
            r.verdict = .notComparable
        }
        return r
    }

    /// A tensor is the base's if its bytes are, or if it is the base's values cast to another
    /// float type (a run that saved the unchanged base in bf16 changed nothing): then every
    /// sample equals the base's sample rounded the same way. 32 samples of a trained tensor
    /// essentially never all round back to the base.
    static func unchanged(_ t: Fingerprint.Tensor, _ tv: [Float], from b: Fingerprint.Tensor, _ bv: [Float], samplesComparable: Bool) -> Bool {
        guard t.shape == b.shape else { return false }
        if t.sha256 == b.sha256 { return true }
        guard samplesComparable, t.dtype != b.dtype else { return false }
        guard !tv.isEmpty, tv.count == bv.count else { return false }
        let kinds = Set([t.dtype, b.dtype])
        let round = { (x: Float) -> Float in
            var y = x
            if kinds.contains(DType.f16.rawValue) { y = Float(Float16(y)) }
            if kinds.contains(DType.bf16.rawValue) {
                let bits = y.bitPattern
                y = y.isNaN ? y : Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
            }
            return y
        }
        return zip(tv, bv).allSatisfy { x, y in round(x).bitPattern == round(y).bitPattern }
    }

    /// One line for integrity evidence.
    public var summary: String {
        let f = { (x: Double?) in x.map { String(format: "%.4g", $0) } ?? "n/a" }
        switch verdict {
        case .identical: return "\(other): identical weights (all tensors byte-identical)"
        case .candidateIsBase: return "\(other): not compared, the submission is the base model unchanged"
        case .otherIsBase: return "\(other): not compared, it is the base model unchanged"
        default:
            var s = "\(other): distance \(f(distance)) of its own update from the base (update cosine \(f(updateCosine)), share \(f(share)), \(comparedTensors) tensors compared)"
            if copiedTensors > 0 { s += ", \(copiedTensors) of \(changedTensors) trained tensor(s) byte-identical to it" }
            return s
        }
    }
}
