import Foundation
import PTBCore

/// A checkpoint the candidate must not be (an instruct model, another family, …).
public struct NamedCheckpoint: Sendable, Equatable {
    public var name: String
    public var path: URL
    public init(name: String, path: URL) {
        self.name = name
        self.path = path
    }

    /// Parses the CLI's NAME=DIR.
    public init(parsing s: String) throws {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex, s.index(after: eq) != s.endIndex else {
            throw IntegrityError.invalidReferenceName(s)
        }
        name = String(s[..<eq])
        path = URL(fileURLWithPath: String(s[s.index(after: eq)...])).standardizedFileURL
    }
}

/// Does the candidate descend from the base? Streams every tensor of base, candidate and the
/// references once, tensor by tensor (memory stays at a few scratch blocks whatever the model
/// size), and judges the sums with a `ProvenancePolicy`.
public struct Provenance {
    public var base: URL
    public var candidate: URL
    public var references: [NamedCheckpoint]
    public var policy: ProvenancePolicy
    public var jobs: Int

    public init(base: URL, candidate: URL, references: [NamedCheckpoint] = [], policy: ProvenancePolicy = .standard,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.base = base
        self.candidate = candidate
        self.references = references
        self.policy = policy
        self.jobs = jobs
    }

    public func run() throws -> ProvenanceReport {
        let b = try Checkpoint(base)
        let c = try Checkpoint(candidate)
        let refs = try references.map { try Checkpoint($0.path) }

        let architecture = ArchitectureComparison.compare(
            base: try ModelArchitecture.read(directory: b.directory), candidate: try ModelArchitecture.read(directory: c.directory),
            baseWeights: b, candidateWeights: c)
        let tokenizer = TokenizerComparison(base: try TokenizerFingerprint.read(directory: b.directory),
                                            candidate: try TokenizerFingerprint.read(directory: c.directory))

        let comparator = TensorComparator(jobs: jobs)
        var tensors: [TensorComparison] = []
        var total = PairSums()
        var elements = 0, identicalToBase = 0, bytewiseOnly = 0
        var nonFinite: [String] = []
        var refTotals = [ReferenceSums](repeating: ReferenceSums(), count: refs.count)
        var refPair = [PairSums](repeating: PairSums(), count: refs.count)
        var refCompared = [Int](repeating: 0, count: refs.count)
        var refIdentical = [Int](repeating: 0, count: refs.count)
        var refCopied = [Int](repeating: 0, count: refs.count)

        for name in c.namesInStorageOrder {
            guard let ce = c[name], let be = b[name], ce.info.shape == be.info.shape else { continue }
            let refEntries: [Checkpoint.Entry?] = refs.map { r in
                guard let e = r[name], e.info.shape == ce.info.shape else { return nil }
                return e
            }
            let views: [TensorView?] = zip(refs, refEntries).map { r, e in e.map { r.view($0) } }
            let sums = comparator.compare(base: b.view(be), candidate: c.view(ce), references: views, count: ce.info.elementCount)
            c.release(ce)
            b.release(be)
            for (r, e) in zip(refs, refEntries) { if let e { r.release(e) } }

            if sums.identicalToBase { identicalToBase += 1 }
            var perRef: [TensorReference] = []
            let finite = sums.pair.map { $0.dd.isFinite && $0.bb.isFinite } ?? true
            if sums.pair == nil { bytewiseOnly += 1 }
            if !finite { nonFinite.append(name) }
            if let p = sums.pair, finite {
                total += p
                elements += ce.info.elementCount
            }
            for k in refs.indices where refEntries[k] != nil {
                refCompared[k] += 1
                if sums.identicalToReference[k] {
                    refIdentical[k] += 1
                    if !sums.identicalToBase { refCopied[k] += 1 }
                }
                let rs = sums.references[k]
                if let rs, let p = sums.pair, finite, rs.ff.isFinite, rs.rr.isFinite, rs.ee.isFinite {
                    refTotals[k] += rs
                    refPair[k] += p
                }
                perRef.append(TensorReference(reference: references[k].name,
                                              relativeDistance: rs.flatMap { ratio($0.ff, $0.rr) },
                                              updateCosine: rs.flatMap { r in sums.pair.flatMap { cosine(r.de, $0.dd, r.ee) } },
                                              identical: sums.identicalToReference[k]))
            }
            tensors.append(TensorComparison(name: name, dtype: ce.info.dtype.rawValue, baseDType: be.info.dtype.rawValue,
                                            shape: ce.info.shape, relativeDistance: sums.pair.flatMap { ratio($0.dd, $0.bb) },
                                            identicalToBase: sums.identicalToBase, references: perRef))
        }
        tensors.sort { $0.name < $1.name }

        let fromBase = BaseComparison(
            relativeDistance: ratio(total.dd, total.bb), comparedTensors: tensors.count, comparedElements: elements,
            identicalTensors: identicalToBase,
            weightsIdentical: architecture.missingTensors.isEmpty && architecture.extraTensors.isEmpty
                && architecture.reshapedTensors.isEmpty && identicalToBase == c.tensors.count,
            bytewiseOnlyTensors: bytewiseOnly, nonFiniteTensors: nonFinite.sorted())

        var referenceResults: [ReferenceComparison] = []
        for (k, r) in refs.enumerated() {
            let t = refTotals[k], p = refPair[k]
            let complete = refCompared[k] == c.tensors.count && r.tensors.count == c.tensors.count
            referenceResults.append(ReferenceComparison(
                name: references[k].name, checkpoint: summary(r, path: references[k].path), comparedTensors: refCompared[k],
                relativeDistance: ratio(t.ff, t.rr), referenceFromBase: ratio(t.ee, p.bb),
                distanceRatio: distanceRatio(cr: t.ff, cb: p.dd), updateCosine: cosine(t.de, p.dd, t.ee),
                referenceShare: t.ee > 0 && t.de.isFinite ? rounded(t.de / t.ee) : nil,
                identicalTensors: refIdentical[k], copiedTensors: refCopied[k],
                weightsIdentical: complete && refIdentical[k] == c.tensors.count,
                numericallyIdentical: complete && nonFinite.isEmpty && refPair[k].bb > 0 && t.ff == 0,
                identicalFiles: identicalFiles(c.directory, r.directory)))
        }

        var report = ProvenanceReport(base: summary(b, path: base), candidate: summary(c, path: candidate),
                                      architecture: architecture, tokenizer: tokenizer, fromBase: fromBase,
                                      references: referenceResults, tensors: tensors, policy: policy,
                                      verdict: Verdict(status: .ok, findings: [], notes: []))
        report.verdict = policy.judge(report)
        return report
    }

    private func summary(_ k: Checkpoint, path: URL) -> CheckpointSummary {
        var dtypes: [String: Int] = [:]
        for e in k.tensors.values { dtypes[e.info.dtype.rawValue, default: 0] += 1 }
        let dir = k.directory.standardizedFileURL.path
        let files = k.files.map { f in f.path.hasPrefix(dir + "/") ? String(f.path.dropFirst(dir.count + 1)) : f.path }
        return CheckpointSummary(path: path.path, files: files, tensors: k.tensors.count, tensorBytes: k.tensorBytes, dtypes: dtypes)
    }

    /// Non-weight files (config, tokenizer, generation config, …) present in both directories
    /// with equal bytes.
    private func identicalFiles(_ a: URL, _ b: URL) -> [String] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: a.path)) ?? []).filter { !$0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
        var out: [String] = []
        for name in names.sorted() {
            let x = a.appendingPathComponent(name), y = b.appendingPathComponent(name)
            guard let sx = (try? fm.attributesOfItem(atPath: x.path)), let sy = (try? fm.attributesOfItem(atPath: y.path)),
                  sx[.type] as? FileAttributeType == .typeRegular, sy[.type] as? FileAttributeType == .typeRegular,
                  (sx[.size] as? NSNumber) == (sy[.size] as? NSNumber),
                  ((sx[.size] as? NSNumber)?.intValue ?? .max) <= 256 << 20 else { continue }
            if let hx = try? Hashing.sha256(file: x), let hy = try? Hashing.sha256(file: y), hx == hy { out.append(name) }
        }
        return out
    }
}

/// sqrt(num)/sqrt(den), rounded; nil when the denominator is zero or a sum is not finite.
func ratio(_ num: Double, _ den: Double) -> Double? {
    guard den > 0, num.isFinite, den.isFinite else { return nil }
    return rounded((num / den).squareRoot())
}

/// ‖c−r‖/‖c−b‖; infinite when the candidate equals the base (it cannot be closer to anything).
func distanceRatio(cr: Double, cb: Double) -> Double? {
    guard cr.isFinite, cb.isFinite else { return nil }
    if cb == 0 { return cr == 0 ? nil : .infinity }
    return rounded((cr / cb).squareRoot())
}

/// dot/(‖x‖‖y‖) from Σxy, Σx², Σy²; nil when either vector is zero.
func cosine(_ dot: Double, _ xx: Double, _ yy: Double) -> Double? {
    guard xx > 0, yy > 0, dot.isFinite, xx.isFinite, yy.isFinite else { return nil }
    return rounded(max(-1, min(1, dot / (xx.squareRoot() * yy.squareRoot()))))
}
