import Foundation
import PTBCore
import PTBProcess
#if canImport(Glibc)
import Glibc
#endif

/// One sample of `monitor.jsonl`.
struct MonitorSample: Codable {
    struct GPU: Codable {
        var index: Int
        var utilization: Double?
        var memoryUtilization: Double?
        var memoryUsedMiB: Double?
        var memoryTotalMiB: Double?
        var temperatureC: Double?
        var powerW: Double?
    }
    var ts: String
    var load1: Double?
    var load5: Double?
    var load15: Double?
    var memTotalMiB: Double?
    var memAvailableMiB: Double?
    var diskFreeGiB: Double?
    var diskTotalGiB: Double?
    var gpus: [GPU]?
    var gpuProcesses: [String]?
}

/// Samples GPU (nvidia-smi when present), CPU load, memory and disk every `interval` seconds
/// until cancelled. The first sample is taken at once.
struct Monitor: Sendable {
    let url: URL
    let interval: Double
    let workspace: URL
    let runner: ProcessRunner
    /// The run's GPUs (host indices): only these are recorded, so runs side by side on one node
    /// each chart their own. nil: every GPU nvidia-smi lists.
    var gpus: [Int]? = nil
    var smi: String? = GPUProcesses.nvidiaSMI()

    func run() async {
        guard let out = try? LineAppender(url: url) else { return }
        while !Task.isCancelled {
            let s = await sample(smi: smi)
            if let line = try? JSONIO.line(s) { out.append(line) }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    func sample(smi: String?) async -> MonitorSample {
        var s = MonitorSample(ts: Timestamps.iso(Date()))
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            let f = load.split(separator: " ").prefix(3).map { Double($0) }
            if f.count == 3 { (s.load1, s.load5, s.load15) = (f[0], f[1], f[2]) }
        }
        if let mem = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in mem.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count >= 2, let kb = Double(parts[1]) else { continue }
                if parts[0] == "MemTotal:" { s.memTotalMiB = kb / 1024 }
                if parts[0] == "MemAvailable:" { s.memAvailableMiB = kb / 1024 }
            }
        }
        var st = statvfs()
        if statvfs(workspace.path, &st) == 0 {
            s.diskFreeGiB = Double(st.f_bavail) * Double(st.f_frsize) / 1_073_741_824
            s.diskTotalGiB = Double(st.f_blocks) * Double(st.f_frsize) / 1_073_741_824
        }
        if let smi {
            let only = gpus.map { ["--id=" + $0.map(String.init).joined(separator: ",")] } ?? []
            let q = Command(smi, only + ["--query-gpu=index,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw",
                                  "--format=csv,noheader,nounits"], environment: ProcessInfo.processInfo.environment)
            if let (t, lines) = try? await runner.run(q), t.succeeded {
                s.gpus = lines.compactMap { line in
                    let f = line.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                    guard f.count >= 7, let i = f[0], gpus?.contains(Int(i)) ?? true else { return nil }
                    return .init(index: Int(i), utilization: f[1], memoryUtilization: f[2], memoryUsedMiB: f[3],
                                 memoryTotalMiB: f[4], temperatureC: f[5], powerW: f[6])
                }
            }
            let apps = Command(smi, only + ["--query-compute-apps=pid,used_memory,name", "--format=csv,noheader"],
                               environment: ProcessInfo.processInfo.environment)
            if let (t, lines) = try? await runner.run(apps), t.succeeded { s.gpuProcesses = lines }
        }
        return s
    }
}
