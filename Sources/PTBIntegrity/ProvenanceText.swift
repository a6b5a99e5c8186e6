import Foundation

extension ProvenanceReport {
    /// The human view: what was compared, the distances, the most changed tensors, the verdict.
    public func renderText(top: Int = 10) -> String {
        var out: [String] = []
        func describe(_ s: CheckpointSummary) -> String {
            let dtypes = s.dtypes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            return "\(s.path)  (\(s.files.count) file(s), \(s.tensors) tensors, \(bytes(s.tensorBytes)), \(dtypes))"
        }
        out.append("base        \(describe(base))")
        out.append("candidate   \(describe(candidate))")
        for r in references { out.append("reference   \(r.name) = \(describe(r.checkpoint))") }
        out.append("")
        out.append("architecture  " + (architecture.same ? "same" : "CHANGED"))
        for f in architecture.fields where !f.same { out.append("  \(f.field): \(f.base ?? "absent") → \(f.candidate ?? "absent")") }
        for (label, list) in [("missing", architecture.missingTensors), ("extra", architecture.extraTensors), ("reshaped", architecture.reshapedTensors)] where !list.isEmpty {
            out.append("  \(list.count) \(label) tensor(s): \(list.prefix(3).joined(separator: ", "))\(list.count > 3 ? ", …" : "")")
        }
        switch (tokenizer.base, tokenizer.candidate) {
        case (nil, nil): out.append("tokenizer     not compared (no tokenizer.json)")
        case let (b?, c?) where b == c: out.append("tokenizer     same (vocabulary \(b.vocabSize), \(b.sha256.prefix(12)))")
        default:
            out.append("tokenizer     CHANGED (\(tokenizer.base.map { "\($0.vocabSize) \($0.sha256.prefix(12))" } ?? "none") → \(tokenizer.candidate.map { "\($0.vocabSize) \($0.sha256.prefix(12))" } ?? "none"))")
        }
        let d = fromBase
        out.append("from base     ‖c−b‖/‖b‖ = \(d.relativeDistance.map(num) ?? "n/a") over \(d.comparedTensors) tensors (\(d.comparedElements) values); \(d.identicalTensors) tensor(s) unchanged")
        if !references.isEmpty {
            out.append("")
            let rows = [["reference", "‖c−r‖/‖r‖", "‖r−b‖/‖b‖", "ratio ‖c−r‖/‖c−b‖", "cos(c−b, r−b)", "share of r−b", "identical", "copied"]]
                + references.map { r in
                    [r.name, r.relativeDistance.map(num) ?? "n/a", r.referenceFromBase.map(num) ?? "n/a", r.distanceRatio.map(num) ?? "n/a",
                     r.updateCosine.map(num) ?? "n/a", r.referenceShare.map(num) ?? "n/a",
                     "\(r.identicalTensors)/\(r.comparedTensors)", "\(r.copiedTensors)"]
                }
            out.append(contentsOf: table(rows))
        }
        let changed = tensors.filter { $0.relativeDistance != nil }.sorted { ($0.relativeDistance!, $1.name) > ($1.relativeDistance!, $0.name) }
        if !changed.isEmpty, top > 0 {
            out.append("")
            out.append("most changed tensors (‖c−b‖/‖b‖):")
            let rows = changed.prefix(top).map { t in ["  " + num(t.relativeDistance!), t.name, "\(t.shape)", t.dtype] }
            out.append(contentsOf: table(rows))
        }
        out.append("")
        out.append("verdict: " + (verdict.status == .ok ? "OK" : "FLAGGED"))
        for f in verdict.findings { out.append("  [\(f.code)] \(f.message)") }
        for n in verdict.notes { out.append("  note: \(n)") }
        return out.joined(separator: "\n")
    }
}

private func num(_ x: Double) -> String {
    x.isFinite ? String(format: "%.4g", x) : (x > 0 ? "inf" : "\(x)")
}

private func bytes(_ n: Int) -> String {
    n >= 1 << 30 ? String(format: "%.2f GiB", Double(n) / Double(1 << 30))
        : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : "\(n) B"
}

/// Left-aligned columns, two spaces apart.
func table(_ rows: [[String]]) -> [String] {
    guard let cols = rows.map(\.count).max() else { return [] }
    let widths = (0..<cols).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }
}
