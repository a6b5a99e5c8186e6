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

    /// A run by id (or by path) in any of the given runs directories.
    public static func find(_ idOrPath: String, in runsDirs: [URL]) throws -> RunPaths {
        let fm = FileManager.default
        if idOrPath.contains("/"), fm.fileExists(atPath: URL(fileURLWithPath: idOrPath).appendingPathComponent("run.json").path) {
            return RunPaths(dir: URL(fileURLWithPath: idOrPath))
        }
        for d in runsDirs {
            let p = RunPaths(dir: d.appendingPathComponent(idOrPath))
            if fm.fileExists(atPath: p.manifest.path) { return p }
        }
        throw PTBError.runNotFound(idOrPath)
    }
}

/// An exclusive lock on a run directory, so two ptb processes never drive the same run.
public enum RunLock {
    public static func acquire(_ paths: RunPaths) throws -> ExclusiveFileLock {
        try ExclusiveFileLock(url: paths.lock, busy: PTBError.invalidArgument(
            "run \(paths.id) is being processed by another ptb process; wait for it or stop it first."))
    }
}
