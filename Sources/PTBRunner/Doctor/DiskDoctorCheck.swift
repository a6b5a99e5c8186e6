import Foundation
import PTBCore

/// Free space where runs write (workspaces, checkpoints, evaluation logs) and where the
/// Hugging Face cache lives.
struct DiskDoctorCheck: DoctorCheck {
    let name = "disk"

    static func existingAncestor(_ url: URL) -> URL {
        var u = url.standardizedFileURL
        while !FileManager.default.fileExists(atPath: u.path), u.path != "/" { u = u.deletingLastPathComponent() }
        return u
    }

    static func freeBytes(_ url: URL) -> Int64? {
        let attrs = try? FileManager.default.attributesOfFileSystem(forPath: existingAncestor(url).path)
        return (attrs?[.systemFreeSize] as? NSNumber)?.int64Value
    }

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        var out: [DoctorResult] = []
        let need = ctx.minFreeGB
        for (what, dir) in [("runs directory", ctx.runsDir), ("Hugging Face cache", HFCache.hubCache(env: ctx.env))] {
            guard let free = Self.freeBytes(dir) else {
                out.append(DoctorResult(name, .fail, "cannot read the free space of \(what) \(dir.path)", fix: "check that the path is mounted and readable"))
                continue
            }
            let gb = Double(free) / 1e9
            let detail = String(format: "%@ %@: %.1f GB free", what, dir.path, gb)
            if what == "runs directory", gb < need {
                out.append(DoctorResult(name, .fail, detail + String(format: ", below the %.0f GB the runs need", need),
                                        fix: "free space, or point --runs-dir at a larger disk (a run's workspace may grow to workspace_limit_gb, default 500; --min-free-gb sets this check's threshold)"))
            } else {
                out.append(DoctorResult(name, .pass, detail))
            }
        }
        return out
    }
}
