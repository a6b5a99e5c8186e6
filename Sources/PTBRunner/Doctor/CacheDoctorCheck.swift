import Foundation
import PTBCore

/// The base models (and their references) the runs need are where runs look for them, and the
/// datasets agents are promised are in the shared cache.
struct CacheDoctorCheck: DoctorCheck {
    let name = "hf-cache"

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let home = ctx.harness.home
        let shared = HFCache.hubCache(env: ctx.env)
        var out: [DoctorResult] = []
        // Agents get a layer over $HF_HOME; a hub cache elsewhere is found by ptb but not shown to them.
        let expected = HFCache.home(env: ctx.env).appendingPathComponent("hub").standardizedFileURL.path
        if shared.standardizedFileURL.path != expected {
            out.append(DoctorResult(name, .warn, "HF_HUB_CACHE (\(shared.path)) is not $HF_HOME/hub (\(expected)): base models resolve there, but agents see only $HF_HOME",
                                    fix: "set HF_HOME to the directory above the hub cache and unset HF_HUB_CACHE"))
        }
        guard !ctx.models.isEmpty || !ctx.datasets.isEmpty else {
            return out + [DoctorResult(name, .skip, "no --model, --dataset or --sweep given: nothing to look up in \(shared.path)")]
        }
        let catalog: ModelCatalog
        do { catalog = try ModelCatalog.load(home: home) } catch {
            return out + [DoctorResult(name, .fail, "\(error)", fix: "fix \(ModelCatalog.catalogFile(home).path)")]
        }
        for id in ctx.models {
            do {
                let info = try catalog.lookup(id)
                let dir = try ModelCatalog.resolveDirectory(info, home: home, env: ctx.env)
                var detail = "model \(id)\(info.revision.map { "@\($0)" } ?? "") at \(dir.path)"
                var missing: [String] = []
                for ref in info.instruct {
                    let found = [home.referencesHub, shared].contains { if case .found = HFCache.lookup(ref, revision: nil, cache: $0) { true } else { false } }
                    if !found { missing.append(ref) }
                }
                if missing.isEmpty {
                    if !info.instruct.isEmpty { detail += "; references: \(info.instruct.joined(separator: ", "))" }
                    out.append(DoctorResult(name, .pass, detail))
                } else {
                    out.append(DoctorResult(name, .warn, detail + "; reference(s) missing, so provenance cannot compare against them: \(missing.joined(separator: ", "))",
                                            fix: "ptb cache pull " + missing.map { "--reference \($0)" }.joined(separator: " ")))
                }
            } catch {
                out.append(DoctorResult(name, .fail, "model \(id): \(error)", fix: ModelCatalog.pullCommand(id, revision: nil)))
            }
        }
        for id in ctx.datasets {
            switch HFCache.lookup(id, type: .dataset, revision: nil, cache: shared, requiredFile: nil) {
            case .found(let dir): out.append(DoctorResult(name, .pass, "dataset \(id) at \(dir.path)"))
            default: out.append(DoctorResult(name, .fail, "dataset \(id) is not in \(shared.path)", fix: "ptb cache pull --dataset \(id)"))
            }
        }
        return out
    }
}
