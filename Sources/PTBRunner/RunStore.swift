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

    public static func create(spec: RunSpec, runsDir: URL, now: Date = Date()) throws -> (RunPaths, RunManifest) {
        let id = newID(spec: spec, now: now)
        let paths = RunPaths(dir: runsDir.appendingPathComponent(id))
        guard !FileManager.default.fileExists(atPath: paths.dir.path) else {
            throw PTBError.io("run directory \(paths.dir.path) already exists; choose another --name")
        }
        try FileManager.default.createDirectory(at: paths.dir, withIntermediateDirectories: true)
        let m = RunManifest(id: id, spec: spec, createdAt: now, ptbVersion: PTBVersion.current)
        try save(m, paths)
        return (paths, m)
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
