import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

public enum RunStore {
    /// Readable, unique ids: `<name|agent>_<task>_<model>_<UTC time>_<4 hex>`.
    public static func newID(spec: RunSpec, now: Date) -> String {
        let stamp = Timestamps.iso(now).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        let suffix = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        let parts = [spec.name ?? spec.agent, spec.task, ModelCatalog.key(spec.model, revision: spec.modelRevision), stamp, suffix]
        return parts.map { String($0.map { $0.isLetter || $0.isNumber || "-.".contains($0) ? $0 : "_" }) }.joined(separator: "_")
    }

    /// The run directory is claimed with one `mkdir`, which fails if the name exists: atomic on a
    /// local disk and on NFS alike, so ptb processes on several nodes sharing one runs directory
    /// never get the same run (a clash of the random suffix draws another).
    public static func create(spec: RunSpec, runsDir: URL, now: Date = Date()) throws -> (RunPaths, RunManifest) {
        try FileManager.default.createDirectory(at: runsDir, withIntermediateDirectories: true)
        for _ in 0..<64 {
            let id = newID(spec: spec, now: now)
            let paths = RunPaths(dir: runsDir.appendingPathComponent(id))
            if mkdir(paths.dir.path, 0o755) != 0 {
                if errno == EEXIST { continue }
                throw PTBError.io("cannot create run directory \(paths.dir.path): \(String(cString: strerror(errno)))")
            }
            let m = RunManifest(id: id, spec: spec, createdAt: now, ptbVersion: PTBVersion.current)
            try save(m, paths)
            return (paths, m)
        }
        throw PTBError.io("no free run id in \(runsDir.path) after 64 tries; choose another --name")
    }

    public static func load(_ paths: RunPaths) throws -> RunManifest {
        try JSONIO.read(RunManifest.self, from: paths.manifest)
    }

    public static func save(_ m: RunManifest, _ paths: RunPaths) throws {
        try JSONIO.write(m, to: paths.manifest)
    }

    /// A run by id, unique id prefix, `latest` (the most recently created), or path, in any of
    /// the given runs directories.
    public static func find(_ idOrPath: String, in runsDirs: [URL]) throws -> RunPaths {
        let fm = FileManager.default
        if idOrPath.contains("/"), fm.fileExists(atPath: URL(fileURLWithPath: idOrPath).appendingPathComponent("run.json").path) {
            return RunPaths(dir: URL(fileURLWithPath: idOrPath))
        }
        guard !idOrPath.isEmpty, !idOrPath.contains("/") else { throw PTBError.runNotFound(idOrPath) }
        for d in runsDirs {
            let p = RunPaths(dir: d.appendingPathComponent(idOrPath))
            if fm.fileExists(atPath: p.manifest.path) { return p }
        }
        let all = runsDirs.flatMap { d in
            ((try? fm.contentsOfDirectory(atPath: d.path)) ?? []).sorted().map { RunPaths(dir: d.appendingPathComponent($0)) }
        }.filter { fm.fileExists(atPath: $0.manifest.path) }
        if idOrPath == "latest" {
            // createdAt from the manifest, not the directory's time, which a copy or rsync changes.
            let dated = all.compactMap { p in (try? load(p)).map { (p, $0.createdAt) } }
            guard let newest = dated.max(by: { $0.1 < $1.1 }) else { throw PTBError.runNotFound(idOrPath) }
            return newest.0
        }
        let matches = all.filter { $0.id.hasPrefix(idOrPath) }
        if matches.count == 1 { return matches[0] }
        guard matches.isEmpty else {
            let shown = matches.prefix(8).map(\.id).joined(separator: ", ")
            throw PTBError.invalidArgument("'\(idOrPath)' matches \(matches.count) runs (\(shown)\(matches.count > 8 ? ", …" : "")); type more of the run id.")
        }
        throw PTBError.runNotFound(idOrPath)
    }

    /// Deletes one run directory. Refuses a run that a live ptb process is driving (its lock is
    /// held), so `ptb rm` never pulls a run from under its driver; the caller confirms first.
    public static func remove(_ paths: RunPaths) throws {
        let lock = try RunLock.acquire(paths)
        defer { withExtendedLifetime(lock) {} }
        let fm = FileManager.default
        // Move aside first: a half-deleted run directory would look like a corrupt run.
        let trash = paths.dir.deletingLastPathComponent().appendingPathComponent(".rm-\(paths.id)-\(UUID().uuidString.prefix(8))")
        try fm.moveItem(at: paths.dir, to: trash)
        try fm.removeItem(at: trash)
    }
}

/// An exclusive lock on a run directory, so two ptb processes never drive the same run.
public enum RunLock {
    public static func acquire(_ paths: RunPaths) throws -> ExclusiveFileLock {
        try ExclusiveFileLock(url: paths.lock, busy: PTBError.unusable(
            "run \(paths.id) is being processed by another ptb process; wait for it or stop it first."))
    }
}
